"""Alert sinks: stdout, a JSONL file (reopened on SIGHUP), and a callback for embedding."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import orjson

from bpfopa.decode import escape_for_terminal
from bpfopa.errors import SinkError
from bpfopa.output._files import FsyncCadence, open_private

__all__ = [
    "AlertSink",
    "CallbackSink",
    "FileSink",
    "StdoutSink",
    "encode_alert",
    "format_for_terminal",
]

Alert = dict[str, Any]


@runtime_checkable
class AlertSink(Protocol):
    """A subscriber of the alert fan-out; ``write`` gets one batch and raises SinkError."""

    name: str

    async def open(self) -> None: ...

    async def write(self, alerts: Sequence[Alert]) -> None: ...

    async def aclose(self) -> None: ...

    def counters(self) -> Mapping[str, int]: ...


def encode_alert(alert: Alert) -> bytes:
    """One JSON line (no newline)."""
    return orjson.dumps(alert, default=str)


def format_for_terminal(alert: Alert) -> str:
    """A readable line with every piece of event data escaped.

    A rule's alert text already shows its fields; bpfopa's internal alerts show theirs after it.
    """
    text = str(alert.get("output", ""))
    fields = alert.get("output_fields")
    if alert.get("source") == "internal" and isinstance(fields, dict) and fields:
        text += " (" + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None) + ")"
    rule = alert.get("rule", "")
    return escape_for_terminal(f"[{rule}] {text}")


class StdoutSink:
    """JSON lines when stdout is not a terminal; escaped readable text when it is."""

    name = "stdout"

    def __init__(self, stream: IO[bytes] | None = None, tty: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._tty = tty if tty is not None else self._stream.isatty()
        self._counts: Counter[str] = Counter()

    async def open(self) -> None:
        return None

    def _write_sync(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    async def write(self, alerts: Sequence[Alert]) -> None:
        if self._tty:
            data = "".join(format_for_terminal(a) + "\n" for a in alerts).encode()
        else:
            data = b"".join(encode_alert(a) + b"\n" for a in alerts)
        try:
            # A slow reader of our stdout (a pipe) must not stall the event loop.
            await asyncio.to_thread(self._write_sync, data)
        except (OSError, ValueError) as exc:
            raise SinkError(f"writing alerts to stdout failed: {exc}") from exc
        self._counts["delivered"] += len(alerts)

    async def aclose(self) -> None:
        return None

    def counters(self) -> Mapping[str, int]:
        return dict(self._counts)


class FileSink:
    """JSONL, 0600, flushed after every batch and fsynced at ``fsync_interval_s`` (0: every
    batch, None: never); :meth:`request_reopen` (SIGHUP) follows log rotation."""

    name = "file"

    def __init__(self, path: Path, fsync_interval_s: float | None = 1.0) -> None:
        self.path = path
        self._cadence = FsyncCadence(fsync_interval_s)
        self._file: IO[bytes] | None = None
        self._reopen = False
        self._counts: Counter[str] = Counter()

    async def open(self) -> None:
        self._open()

    def _open(self) -> None:
        try:
            self._file = open_private(self.path)
        except OSError as exc:
            raise SinkError(f"cannot open alert file {self.path}: {exc}") from exc

    def request_reopen(self) -> None:
        """Reopen the file before the next write (signal-safe: only sets a flag)."""
        self._reopen = True

    def _write_sync(self, data: bytes) -> None:
        if self._reopen or self._file is None:
            self._reopen = False
            if self._file is not None:
                self._file.close()
                self._counts["reopened"] += 1
            self._open()
        assert self._file is not None
        self._file.write(data)
        self._file.flush()
        if self._cadence.due():
            os.fsync(self._file.fileno())

    async def write(self, alerts: Sequence[Alert]) -> None:
        data = b"".join(encode_alert(a) + b"\n" for a in alerts)
        try:
            self._write_sync(data)
        except OSError as exc:
            raise SinkError(f"writing alerts to {self.path} failed: {exc}") from exc
        self._counts["delivered"] += len(alerts)

    async def aclose(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def counters(self) -> Mapping[str, int]:
        return dict(self._counts)


class CallbackSink:
    """Hands every batch of alerts to a function (tests, benchmarks, embedding)."""

    def __init__(self, callback: Callable[[Sequence[Alert]], None], name: str = "callback"):
        self.name = name
        self._callback = callback
        self._counts: Counter[str] = Counter()

    async def open(self) -> None:
        return None

    async def write(self, alerts: Sequence[Alert]) -> None:
        self._callback(alerts)
        self._counts["delivered"] += len(alerts)

    async def aclose(self) -> None:
        return None

    def counters(self) -> Mapping[str, int]:
        return dict(self._counts)
