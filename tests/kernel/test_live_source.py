"""LiveSource configuration before start: what is selected and excluded applies from the start."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from bpfopa.capture import LiveSource

MARKER = "/tmp/bpfopa-live-source-test"


def test_select_and_exclude_before_start() -> None:
    excluded = subprocess.Popen(
        [sys.executable, "-c", f"import os,sys; sys.stdin.readline(); os.unlink({MARKER!r}+'x')"],
        stdin=subprocess.PIPE,
    )
    assert excluded.stdin is not None
    open(MARKER + "x", "w").close()

    async def main() -> list[dict[str, Any]]:
        source = LiveSource(syscalls={"openat"})
        source.select_syscalls({"unlinkat", "unlink"})
        source.exclude_pid(excluded.pid)
        await source.start()
        assert source.probes.attached_syscalls >= {"unlinkat", "unlink"}
        assert "openat" not in source.probes.attached_syscalls
        rm = await asyncio.create_subprocess_exec("rm", "-f", MARKER)
        assert await rm.wait() == 0
        excluded.stdin.write(b"\n")  # type: ignore[union-attr]
        excluded.stdin.flush()  # type: ignore[union-attr]
        await asyncio.to_thread(excluded.wait, 10)
        await asyncio.sleep(0.3)
        await source.stop()
        docs = [doc async for batch in source.batches() for doc in batch]
        await source.aclose()
        return docs

    docs = asyncio.run(main())
    assert "openat" not in {d["event"]["name"] for d in docs}
    assert any(d["event"].get("path") == MARKER for d in docs), "selected before start"
    assert not any(d["event"].get("path") == MARKER + "x" for d in docs), "excluded before start"
    assert excluded.returncode == 0
