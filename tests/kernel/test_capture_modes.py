"""Every way of attaching and pairing captures the same document."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from typing import Any

import pytest

from bpfopa.capture import LiveSource


@pytest.mark.parametrize(
    ("attach", "pairing"), [("tracepoint", "map"), ("raw", "registers"), ("raw", "map")]
)
def test_mode_captures_openat_with_its_arguments(attach: str, pairing: str) -> None:
    marker = f"/tmp/bpfopa-{uuid.uuid4().hex}"

    async def main() -> list[dict[str, Any]]:
        source = LiveSource(syscalls={"openat"}, attach=attach, pairing=pairing)  # type: ignore[arg-type]
        await source.start()
        assert source.probes.pairing == pairing
        cat = await asyncio.create_subprocess_exec("cat", marker, stderr=subprocess.DEVNULL)
        await cat.wait()
        await asyncio.sleep(0.2)
        await source.stop()
        docs = [d async for batch in source.batches() for d in batch]
        await source.aclose()
        return [d for d in docs if d["event"].get("path") == marker]

    [doc] = asyncio.run(main())
    event = doc["event"]
    assert event["name"] == "openat" and event["error"] == "ENOENT"
    assert event["params"]["dfd"] == -100 and event["flags"] == ["O_RDONLY"]
    assert doc["process"]["name"] == "cat" and doc["process"]["args"] == [marker]
