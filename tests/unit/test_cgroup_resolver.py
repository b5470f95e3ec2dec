"""cgroup v2 id -> path, with a directory tree standing in for the cgroup2 mount."""

from __future__ import annotations

import os
from pathlib import Path

from bpfopa.state import CgroupResolver


def test_resolves_by_inode_and_finds_a_cgroup_made_after_a_miss(tmp_path: Path) -> None:
    resolver = CgroupResolver(str(tmp_path), rescan_interval=60.0)
    first = tmp_path / "docker" / "a"
    first.mkdir(parents=True)
    assert resolver.path(os.stat(first).st_ino) == "/docker/a"
    # A new cgroup right after a walk: a different id is not held back by that walk.
    second = tmp_path / "docker" / "b"
    second.mkdir()
    assert resolver.path(os.stat(second).st_ino) == "/docker/b"


def test_a_missing_id_is_not_rescanned_within_the_interval(tmp_path: Path) -> None:
    resolver = CgroupResolver(str(tmp_path), rescan_interval=60.0)
    missing = 999_999_999
    assert resolver.path(missing) is None
    late = tmp_path / "late"
    late.mkdir()
    assert resolver.path(missing) is None  # rate-limited: no walk for the same id
    assert resolver.path(os.stat(late).st_ino) == "/late"  # another id walks again


def test_no_mount_means_no_path() -> None:
    assert CgroupResolver(None).path(1) is None


def test_a_learned_cgroup_resolves_after_it_is_gone_within_a_bound(tmp_path: Path) -> None:
    resolver = CgroupResolver(str(tmp_path), rescan_interval=60.0, max_learned=2)
    resolver.learn(11, "/docker/a")
    resolver.learn(12, "/docker/b")
    assert resolver.path(11) == "/docker/a"  # no directory: learned from the probe's record
    resolver.learn(13, "/docker/c")  # over the bound: the oldest learned goes
    assert resolver.path(11) is None
    assert (resolver.path(12), resolver.path(13)) == ("/docker/b", "/docker/c")
