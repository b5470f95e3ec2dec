"""One live capture shared by the kernel tests: attaching is quick, detaching takes seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bpfopa.schema import BY_NAME
from tests.conftest import require

Doc = dict[str, Any]


@contextlib.contextmanager
def overlay_mount(base: Path) -> Iterator[tuple[Path, Path]]:
    """(lower, merged) of an overlayfs mounted under `base`, as a container root is: files in
    `lower` are the image, files written through `merged` land in the upper layer."""
    lower, upper, work, merged = (base / name for name in ("lower", "upper", "work", "merged"))
    for directory in (lower, upper, work, merged):
        directory.mkdir(parents=True)
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(merged)], check=True)
    try:
        yield lower, merged
    finally:
        subprocess.run(["umount", str(merged)], check=True)


class CaptureHarness:
    """A LiveSource running on its own event loop thread, collecting every document."""

    def __init__(self, source: Any = None) -> None:
        from bpfopa.capture import LiveSource

        self.source = LiveSource() if source is None else source
        self._docs: list[Doc] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("capture did not start within 60 s")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        try:
            await self.source.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        async for docs in self.source.batches():
            with self._lock:
                self._docs.extend(docs)
        await self.source.aclose()

    def reset(self) -> None:
        """Forget collected documents (marks taken before are void)."""
        with self._lock:
            self._docs.clear()

    def mark(self) -> int:
        with self._lock:
            return len(self._docs)

    def wait_for(
        self,
        predicate: Callable[[Doc], bool],
        since: int = 0,
        timeout: float = 15.0,
        count: int = 1,
    ) -> list[Doc]:
        """Documents since mark ``since`` matching ``predicate``, once ``count`` have arrived
        or ``timeout`` has passed (generous: a loaded 2-CPU machine decodes behind)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [d for d in self._docs[since:] if predicate(d)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.source.stop(), self._loop).result(30)
        self._thread.join(60)


@pytest.fixture(scope="session")
def capture_session() -> Iterator[CaptureHarness]:
    """The one capture of the session, kept quiet (process state only) between the tests that
    use it: capturing every syscall of the host all session long would cost minutes of CPU and
    feed any other bpfopa a test starts (each one's /proc reads are the other's events)."""
    require(os.geteuid() == 0, "kernel tests need root")
    try:
        import bcc  # noqa: F401
    except ImportError:
        require(False, "BCC (python3-bpfcc) is not importable")
    harness = CaptureHarness()
    harness.source.select_syscalls(())
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def capture(capture_session: CaptureHarness) -> Iterator[CaptureHarness]:
    """The session capture with every known syscall selected, for one test."""
    capture_session.reset()
    capture_session.source.select_syscalls(BY_NAME)
    try:
        yield capture_session
    finally:
        capture_session.source.select_syscalls(())
