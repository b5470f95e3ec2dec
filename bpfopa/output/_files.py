"""Files bpfopa writes (alerts, dead letters, the webhook spool): private, bounded, synced.

They hold what processes did on the host, so they are created 0600 in 0700 directories (an
existing file or directory of ours is tightened, never widened); a file that only grows is
bounded by rotating it once (the older part is dropped and its records counted), and writes
reach the disk with fsync at a configurable cadence.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from bpfopa.errors import SinkError
from bpfopa.output._alert import ALERT_DOCUMENT_MODES, process_summary, redact_document
from bpfopa.output._fields import FieldRegistry, scrub, secret_values

__all__ = [
    "DeadLetterFile",
    "FsyncCadence",
    "open_private",
    "private_dir",
    "write_private",
]

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) 0700; tighten it to 0700 if it exists."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)


def open_private(path: Path) -> IO[bytes]:
    """Open ``path`` for appending, created 0600 (an existing file is tightened to 0600).

    A missing directory is created 0700; an existing one (say /var/log) is left as it is."""
    if not path.parent.exists():
        private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "ab")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: bytes, *, sync: bool) -> None:
    """Write ``path`` whole and atomically (a temporary file renamed over it), 0600."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        tmp.rename(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class FsyncCadence:
    """When to fsync: ``interval_s`` 0 syncs every write, None never, else at most once per
    interval (a crash loses at most that much of what was written)."""

    def __init__(self, interval_s: float | None) -> None:
        if interval_s is not None and interval_s < 0:
            raise ValueError("fsync interval must be >= 0 (or None: never)")
        self.interval_s = interval_s
        self._last = time.monotonic()
        self.syncs = 0

    def due(self) -> bool:
        if self.interval_s is None:
            return False
        now = time.monotonic()
        if self.interval_s == 0 or now - self._last >= self.interval_s:
            self._last = now
            self.syncs += 1
            return True
        return False


class Rejected(Protocol):
    """What OPA would not evaluate (bpfopa.policy.Rejection)."""

    @property
    def document(self) -> Any: ...
    @property
    def reason(self) -> str: ...
    @property
    def status(self) -> int: ...


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


class DeadLetterFile:
    """JSONL of what could not be delivered (documents OPA rejected, alerts a receiver refused):
    ``{"time", "reason", "status", <kind>}`` per line.

    Bounded: past ``max_bytes`` the file is renamed to ``<name>.1`` (replacing the previous
    one, whose records are counted in ``dropped``) and a new one started. Without a path the
    records are only counted and logged, never silently dropped.

    ``document``: what a rejected document is kept as, like alerts (``--alert-document``):
    "summary" keeps the registry's default output fields and the process summary, "full" the
    document; environments are masked in both.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        max_bytes: int = 64 << 20,
        fsync_interval_s: float | None = 1.0,
        document: str = "full",
        registry: FieldRegistry | None = None,
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        if document not in ALERT_DOCUMENT_MODES:
            raise ValueError(f"document must be one of {ALERT_DOCUMENT_MODES}, not {document!r}")
        self.document = document
        self._registry = registry
        self.path = path
        self.max_bytes = max_bytes
        self.count = 0
        self.dropped = 0
        self.write_errors = 0
        self._cadence = FsyncCadence(fsync_interval_s)
        self._file: IO[bytes] | None = None
        self._size = 0
        self._lines = 0
        if path is not None:
            try:
                self._file = open_private(path)
            except OSError as exc:
                raise SinkError(f"cannot open dead-letter file {path}: {exc}") from exc
            self._size = self._file.tell()
            self._lines = _count_lines(path) if self._size else 0

    def write(self, rejection: Rejected) -> None:
        """A document OPA rejected, as ``document`` says, its environments masked."""
        doc = rejection.document
        if self.document == "summary" and isinstance(doc, dict):
            if self._registry is None:
                self._registry = FieldRegistry.load()
            kept: Any = {
                "output_fields": self._registry.output_fields(doc),
                "process": process_summary(doc),
            }
        else:
            kept = redact_document(doc)
        kept = scrub(kept, secret_values(doc))
        self.add("document", kept, reason=rejection.reason, status=rejection.status)

    def add(self, kind: str, item: Any, *, reason: str, status: int | None = None) -> None:
        """One record; disk errors are counted and logged, never raised into the caller."""
        self.count += 1
        log.warning("dead letter (%s, status %s): %s", kind, status, reason[:300])
        if self._file is None:
            return
        record = {
            "time": datetime.now(UTC).isoformat(),
            "reason": reason,
            "status": status,
            kind: item,
        }
        try:
            line = orjson.dumps(record, default=repr) + b"\n"
        except TypeError:
            record[kind] = repr(item)
            line = orjson.dumps(record) + b"\n"
        try:
            if self._size and self._size + len(line) > self.max_bytes:
                self._rotate()
            self._file.write(line)
            self._file.flush()
            if self._cadence.due():
                os.fsync(self._file.fileno())
        except OSError as exc:
            self.write_errors += 1
            log.error("dead-letter file %s: write failed, record lost: %s", self.path, exc)
            return
        self._size += len(line)
        self._lines += 1

    def _rotate(self) -> None:
        assert self.path is not None and self._file is not None
        old = self.path.with_name(self.path.name + ".1")
        self.dropped += _count_lines(old)
        self._file.close()
        self._file = None
        self.path.rename(old)
        self._file = open_private(self.path)
        self._size = 0
        self._lines = 0
        log.warning(
            "dead-letter file %s reached %d bytes: rotated to %s (%d older records dropped)",
            self.path,
            self.max_bytes,
            old,
            self.dropped,
        )

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
