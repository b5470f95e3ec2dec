"""The cgroup probe: making a cgroup in the unified hierarchy sends its id and path in the
lifecycle lane (probes/cgroup.bpf.c); v1 hierarchies' cgroups send nothing."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from bpfopa.capture._probes import ProbeConfig, load_probes
from bpfopa.state import cgroup2_mount
from bpfopa.wire import CGROUP_BODY, HEADER, Opcode


def test_a_new_cgroup_is_reported_with_its_id_and_path() -> None:
    mount = cgroup2_mount()
    assert mount is not None, "no cgroup2 mount on this host"
    name = f"bpfopa-test-{uuid.uuid4().hex[:8]}"
    probes = load_probes(ProbeConfig(syscalls=frozenset({"openat"})))
    made = Path(mount) / name
    v1 = Path("/sys/fs/cgroup/pids") / name
    try:
        made.mkdir()
        if v1.parent.is_dir():
            v1.mkdir()
        cgroup_id = os.stat(made).st_ino
        reported: dict[int, bytes] = {}
        deadline = time.monotonic() + 5
        while cgroup_id not in reported and time.monotonic() < deadline:
            for record in probes.lifecycle.drain(10):
                if record[0] == Opcode.CGROUP:
                    got_id, path_len, _ = CGROUP_BODY.unpack_from(record, HEADER.size)
                    at = HEADER.size + CGROUP_BODY.size
                    reported[got_id] = record[at : at + path_len]
            time.sleep(0.01)
    finally:
        probes.close()
        for directory in (made, v1):
            if directory.is_dir():
                directory.rmdir()
    assert reported.get(cgroup_id) == f"/{name}".encode()
    # The v1 directory of the same name was made too, but is not the unified hierarchy's.
    assert list(reported.values()).count(f"/{name}".encode()) == 1
