"""Where event documents come from: the source protocol, a JSONL replay and an in-memory queue.

The live kernel source (``bpfopa.capture.open_live_source``) implements :class:`EventSource` too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import orjson

__all__ = [
    "PROCESS_STATE_SYSCALLS",
    "EventSource",
    "QueueSource",
    "ReplaySource",
]

log = logging.getLogger(__name__)

#: Syscalls the process table needs whatever the rules ask for (exec, cwd, fork/exit, fds).
#: The lead owns the process table and refines this set; the pipeline adds it to the rules' set.
PROCESS_STATE_SYSCALLS: frozenset[str] = frozenset(
    {
        "execve",
        "execveat",
        "chdir",
        "fchdir",
        "clone",
        "clone3",
        "fork",
        "vfork",
        "exit",
        "exit_group",
        "setuid",
        "setgid",
        "setresuid",
        "setresgid",
    }
)


@runtime_checkable
class EventSource(Protocol):
    """A producer of event documents (docs/event-schema.md), in batches."""

    async def start(self) -> None: ...

    def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Batches of documents; ends at EOF or after :meth:`stop` (after what is buffered)."""
        ...

    async def stop(self) -> None: ...

    def counters(self) -> Mapping[str, int]:
        """Loss and error counters, e.g. ``kernel_lost``, ``decode_errors``, ``queue_dropped``."""
        ...

    def exclude_pid(self, pid: int) -> None:
        """Live capture: stop tracing ``pid`` (the managed OPA) in the kernel."""
        ...

    def select_syscalls(self, names: Collection[str]) -> None:
        """Live capture: trace only these syscalls."""
        ...


#: ``bpfopa replay -``: standard input.
STDIN = Path("-")


def _why_not_json(line: bytes, exc: orjson.JSONDecodeError) -> str:
    """orjson says "surrogates not allowed" for bytes that are not UTF-8: say where they are."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return (
            f"not valid UTF-8 (byte 0x{line[bad.start]:02x} at offset {bad.start}); "
            "JSON text must be UTF-8"
        )
    return f"not JSON ({exc})"


class ReplaySource:
    """JSONL event documents from a file, as ``bpfopa capture`` writes them.

    A line that is not a JSON object is counted (``decode_errors``) and logged with its line
    number — never fatal. ``exclude_pid`` and ``select_syscalls`` do nothing: a recording is
    replayed in full.
    """

    def __init__(
        self,
        path: Path,
        chunk_size: int = 1000,
        max_logged_errors: int = 20,
        max_line_bytes: int = 16 << 20,
    ) -> None:
        self.path = path
        self.max_line_bytes = max_line_bytes
        self.chunk_size = chunk_size
        self.max_logged_errors = max_logged_errors
        self._file: IO[bytes] | None = None
        self._stream = False
        self._pending = b""  # a pipe's incomplete last line
        self._skipping = False  # inside a pipe's line longer than max_line_bytes
        self._stopping = False
        self._counters = {
            "lines": 0,
            "events": 0,
            "decode_errors": 0,
            "blank_lines": 0,
            "oversized_lines": 0,
        }

    async def start(self) -> None:
        if self.path == STDIN:
            self._file = sys.stdin.buffer
        else:
            self._file = await asyncio.to_thread(self.path.open, "rb")
        # A pipe or FIFO (``bpfopa capture | bpfopa replay -``) is read as data arrives, not
        # in chunks of chunk_size lines that a slow writer would take long to fill.
        self._stream = not stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)

    async def stop(self) -> None:
        self._stopping = True

    def counters(self) -> Mapping[str, int]:
        return dict(self._counters)

    def exclude_pid(self, pid: int) -> None:
        return None

    def select_syscalls(self, names: Collection[str]) -> None:
        return None

    @property
    def name(self) -> str:
        """How messages name the input."""
        return "<stdin>" if self.path == STDIN else str(self.path)

    def _read_stream(self) -> list[bytes | None]:
        """The complete lines of what one read of a pipe returns (blocks until some data)."""
        assert self._file is not None
        lines: list[bytes | None] = []
        while not lines:
            data = os.read(self._file.fileno(), 1 << 16)
            if not data:  # EOF: a last line without its newline still counts
                if self._pending and not self._skipping:
                    lines.append(self._pending)
                self._pending = b""
                return lines
            *complete, self._pending = (self._pending + data).split(b"\n")
            for line in complete:
                if self._skipping:  # the end of a runaway line
                    self._skipping = False
                    continue
                lines.append(line + b"\n" if len(line) <= self.max_line_bytes else None)
            if len(self._pending) > self.max_line_bytes:
                self._pending = b""
                if not self._skipping:
                    self._skipping = True
                    lines.append(None)
        return lines

    def _read_chunk(self) -> list[bytes | None]:
        """Up to ``chunk_size`` lines; None stands for a line over ``max_line_bytes``."""
        assert self._file is not None
        if self._stream:
            return self._read_stream()
        lines: list[bytes | None] = []
        for _ in range(self.chunk_size):
            line = self._file.readline(self.max_line_bytes + 1)
            if not line:
                break
            if len(line) > self.max_line_bytes and not line.endswith(b"\n"):
                # Never hold a runaway line in memory: skip to its end, count it.
                while (rest := self._file.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                lines.append(None)
                continue
            lines.append(line)
        return lines

    def _parse(self, lines: Iterable[bytes | None]) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = []
        counters = self._counters
        for line in lines:
            counters["lines"] += 1
            if line is None:
                counters["oversized_lines"] += 1
                self._bad_line(f"longer than {self.max_line_bytes} bytes")
                continue
            if not line.strip():
                counters["blank_lines"] += 1
                continue
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self._bad_line(_why_not_json(line, exc))
                continue
            if not isinstance(doc, dict):
                self._bad_line(f"a JSON {type(doc).__name__}, not an object")
                continue
            docs.append(doc)
        counters["events"] += len(docs)
        return docs

    def _bad_line(self, why: str) -> None:
        self._counters["decode_errors"] += 1
        if self._counters["decode_errors"] <= self.max_logged_errors:
            log.warning("%s:%d: skipped: %s", self.name, self._counters["lines"], why)

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        if self._file is None:
            raise RuntimeError("ReplaySource.batches() before start()")
        try:
            while not self._stopping:
                lines = await asyncio.to_thread(self._read_chunk)
                if not lines:
                    break
                docs = self._parse(lines)
                if docs:
                    yield docs
        finally:
            if self._file is not sys.stdin.buffer:
                self._file.close()


class QueueSource:
    """Documents pushed by the program (tests, benchmarks, embedding bpfopa as a library)."""

    def __init__(self, max_batches: int = 1024) -> None:
        self._queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(max_batches)
        self._counters = {"events": 0, "queue_dropped": 0}
        self.excluded_pids: set[int] = set()
        self.selected_syscalls: frozenset[str] | None = None

    async def start(self) -> None:
        return None

    async def put(self, docs: list[dict[str, Any]]) -> None:
        """Offer a batch; waits while ``max_batches`` batches are pending."""
        await self._queue.put(docs)

    def offer(self, docs: list[dict[str, Any]]) -> bool:
        """Offer a batch without waiting; False (counted as ``queue_dropped``) when full."""
        try:
            self._queue.put_nowait(docs)
        except asyncio.QueueFull:
            self._counters["queue_dropped"] += len(docs)
            return False
        return True

    async def stop(self) -> None:
        await self._queue.put(None)

    def counters(self) -> Mapping[str, int]:
        return dict(self._counters)

    def exclude_pid(self, pid: int) -> None:
        self.excluded_pids.add(pid)

    def select_syscalls(self, names: Collection[str]) -> None:
        self.selected_syscalls = frozenset(names)

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        while (docs := await self._queue.get()) is not None:
            self._counters["events"] += len(docs)
            yield docs
