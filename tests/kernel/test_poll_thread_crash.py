"""A crash of the kernel poll thread ends the event stream with an error, never as if capture
had finished (which made `bpfopa run` exit 0 and systemd's Restart=on-failure never fire)."""

from __future__ import annotations

import asyncio

import pytest

from bpfopa.capture import LiveSource
from bpfopa.errors import CaptureError


def test_poll_thread_crash_raises_from_batches() -> None:
    async def main() -> None:
        source = LiveSource(syscalls={"openat"})
        await source.start()
        try:
            transport = source.probes.transport

            def broken(timeout_ms: int) -> list[bytes]:
                raise OSError(5, "ring buffer read failed")

            # The real poll thread, reading real probes, meets a failing read.
            transport.drain = broken  # type: ignore[method-assign]
            with pytest.raises(CaptureError, match=r"poll thread crashed.*ring buffer read failed"):
                async with asyncio.timeout(30):
                    async for _ in source.batches():
                        pass
        finally:
            await source.aclose()

    asyncio.run(main())
