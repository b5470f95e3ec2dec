"""The webhook's spool: alerts waiting for the receiver, one 0600 file per alert, numbered in
arrival order, in a 0700 directory; bounded, the oldest dropped first."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from bpfopa.output._files import FsyncCadence, private_dir, write_private

__all__ = ["Spool"]

log = logging.getLogger(__name__)

PENDING = ".json"
#: A POST that shutdown cut: whether the receiver got it is unknown.
UNACKED = ".unacked"


class Spool:
    """Entries are paths in order; the caller reads, posts and removes the head."""

    def __init__(self, directory: Path, max_entries: int, fsync_interval_s: float | None) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.directory = directory
        self.max_entries = max_entries
        self.entries: list[Path] = []
        self._next_seq = 0
        self._cadence = FsyncCadence(fsync_interval_s)

    def open(self) -> list[Path]:
        """Create the directory (0700); the unacknowledged entries a previous run left."""
        private_dir(self.directory)
        return sorted(self.directory.glob(f"*{UNACKED}"))

    def load(self) -> int:
        """Take up the pending entries on disk (after the unacknowledged ones were settled)."""
        self.entries = sorted(self.directory.glob(f"*{PENDING}"))
        seqs = [int(p.name.split(".")[0]) for p in self.directory.iterdir() if p.name[0].isdigit()]
        self._next_seq = max(seqs, default=-1) + 1
        return len(self.entries)

    @staticmethod
    def requeue(unacked: Path) -> None:
        """An unacknowledged entry becomes pending again (the receiver dedups by key)."""
        unacked.rename(unacked.with_suffix(PENDING))

    def _path(self) -> Path:
        path = self.directory / f"{self._next_seq:016d}{PENDING}"
        self._next_seq += 1
        return path

    def make_room(self, keep: Path | None) -> list[Path]:
        """Drop the oldest entries (never ``keep``, the one being posted) until one more fits."""
        dropped: list[Path] = []
        while len(self.entries) >= self.max_entries:
            # The oldest, not the newest: the newest alerts say what is happening now.
            index = 1 if self.entries[0] == keep and len(self.entries) > 1 else 0
            oldest = self.entries.pop(index)
            with contextlib.suppress(OSError):
                oldest.unlink()
            dropped.append(oldest)
        return dropped

    def put(self, body: bytes) -> Path:
        """Append an entry; OSError (disk full) when it could not be written (nothing left)."""
        path = self._path()
        write_private(path, body, sync=self._cadence.due())
        self.entries.append(path)
        return path

    def remove(self, path: Path) -> None:
        """Forget ``path`` and delete its file (by identity: entries may have been dropped)."""
        with contextlib.suppress(ValueError):
            self.entries.remove(path)
        with contextlib.suppress(OSError):
            path.unlink()

    def mark_unacked(self, body: bytes, path: Path | None = None) -> None:
        """Keep a POST that cancellation cut, for the next start to settle."""
        target = (path or self._path()).with_suffix(UNACKED)
        try:
            if path is not None:
                with contextlib.suppress(ValueError):
                    self.entries.remove(path)
                path.rename(target)
            else:
                write_private(target, body, sync=True)
        except OSError as exc:
            log.error("webhook: alert in flight at shutdown not kept: %s", exc)

    def sync(self) -> None:
        """fsync the directory: the entries' renames and deletions reach the disk."""
        with contextlib.suppress(OSError):
            fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
