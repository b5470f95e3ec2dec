"""cgroup v2 ids (what the probes see) to cgroup paths (what names a container)."""

from __future__ import annotations

import os
import time
from collections import OrderedDict


def cgroup2_mount(mounts: str = "/proc/self/mounts") -> str | None:
    try:
        with open(mounts) as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and parts[2] == "cgroup2":
                    return parts[1]
    except OSError:
        return None
    return None


class CgroupResolver:
    """Maps cgroup v2 ids to paths: the id is the inode number of the cgroup's directory.

    A miss rescans the hierarchy, at most once per ``rescan_interval`` seconds for the same
    id, so a flood of events from a cgroup that is gone costs one walk, not one per event,
    while a cgroup created a moment after the last walk is still found.
    """

    def __init__(
        self, mount: str | None, rescan_interval: float = 0.2, max_learned: int = 16384
    ) -> None:
        self._mount = mount
        self._paths: dict[int, str] = {}
        self._missed: dict[int, float] = {}
        self._interval = rescan_interval
        # Cgroups the probes saw made, oldest first. Kept after the cgroup is removed (events
        # of its processes may still be on their way), up to a bound: hosts that make a cgroup
        # per unit or per container make many over their lifetime.
        self._learned: OrderedDict[int, str] = OrderedDict()
        self._max_learned = max_learned

    def learn(self, cgroup_id: int, path: str) -> None:
        """The probes saw this cgroup made."""
        self._learned[cgroup_id] = path
        self._learned.move_to_end(cgroup_id)
        if len(self._learned) > self._max_learned:
            self._learned.popitem(last=False)
        self._missed.pop(cgroup_id, None)

    def path(self, cgroup_id: int) -> str | None:
        found = self._paths.get(cgroup_id) or self._learned.get(cgroup_id)
        if found is not None or self._mount is None:
            return found
        now = time.monotonic()
        if now - self._missed.get(cgroup_id, -self._interval) < self._interval:
            return None
        self._scan()
        found = self._paths.get(cgroup_id)
        if found is None:
            if len(self._missed) > 4096:
                self._missed.clear()
            self._missed[cgroup_id] = now
        return found

    def _scan(self) -> None:
        assert self._mount is not None
        root = self._mount
        paths: dict[int, str] = {}  # what exists now: removed cgroups do not pile up
        for dirpath, _dirnames, _files in os.walk(root):
            try:
                inode = os.stat(dirpath).st_ino
            except OSError:
                continue
            paths[inode] = dirpath[len(root) :] or "/"
        self._paths = paths
