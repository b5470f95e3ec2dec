"""Hostile and odd input: non-UTF-8 paths, over-long paths, huge argv, containers."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import uuid

from tests.conftest import require
from tests.kernel.conftest import CaptureHarness


def test_non_utf8_path_survives_losslessly(capture: CaptureHarness) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        name = tmp.encode() + b"/bad\xff\xfe-\x1b[31m"
        since = capture.mark()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import os,sys; "
                "os.close(os.open(os.fsencode(sys.argv[1]), os.O_CREAT|os.O_WRONLY, 0o600))",
                os.fsdecode(name),
            ],
            check=True,
            timeout=30,
        )
        [doc] = capture.wait_for(
            lambda d: d["event"]["name"] == "openat" and "bad" in (d["event"].get("path") or ""),
            since=since,
        )
    assert doc["event"]["path"] == f"{tmp}/bad\ufffd\ufffd-\x1b[31m"
    raw = doc["raw"]["event.params.filename"]
    assert base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)) == name
    assert "event.path" in doc["raw"]


def test_path_longer_than_capture_limit_is_flagged(capture: CaptureHarness) -> None:
    long_path = "/tmp/" + "a" * 5000
    since = capture.mark()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os,sys\ntry: os.open(sys.argv[1], os.O_RDONLY)\nexcept OSError: pass",
            long_path,
        ],
        check=True,
        timeout=30,
    )
    [doc] = capture.wait_for(
        lambda d: (
            d["event"]["name"] == "openat"
            and (d["event"]["params"].get("filename") or "").startswith("/tmp/aaaa")
        ),
        since=since,
    )
    assert doc["event"]["truncated"] == ["filename"]
    assert len(doc["event"]["params"]["filename"]) == 4095
    assert doc["event"]["error"] == "ENAMETOOLONG"


def test_huge_argv_is_truncated_and_flagged(capture: CaptureHarness) -> None:
    marker = uuid.uuid4().hex
    args = [marker] + [f"arg{i}" for i in range(5000)]
    since = capture.mark()
    subprocess.run(["/bin/true", *args], check=True, timeout=30)
    [doc] = capture.wait_for(
        lambda d: d["event"]["name"] == "execve" and d["process"]["args"][:1] == [marker],
        since=since,
    )
    proc = doc["process"]
    assert proc["args_truncated"] is True
    assert 100 < len(proc["args"]) < 5000
    assert proc["args"][1:4] == ["arg0", "arg1", "arg2"]
    assert all(a.startswith("arg") for a in proc["args"][1:])


def _cgroup2_root() -> str | None:
    from bpfopa.state import cgroup2_mount

    return cgroup2_mount()


def _run_in_cgroup(capture: CaptureHarness, cgroup_dir: str, marker: str) -> dict:  # type: ignore[type-arg]
    os.makedirs(cgroup_dir)
    try:
        since = capture.mark()
        script = (
            f"echo $$ > {cgroup_dir}/cgroup.procs && cat /etc/hostname >/dev/null "
            f"&& test -e /tmp/{marker}; true"
        )
        subprocess.run(["sh", "-c", script], check=True, timeout=30)
        found = capture.wait_for(
            lambda d: (
                d["event"]["name"] in ("openat", "newfstatat")
                and d["event"].get("path") == "/etc/hostname"
                and d["process"]["name"] == "cat"
                and d["process"]["container"] is not None
            ),
            since=since,
        )
    finally:
        os.rmdir(cgroup_dir)
    assert found, f"no container event for {cgroup_dir}"
    return found[0]


def test_container_from_cgroup(capture: CaptureHarness) -> None:
    root = _cgroup2_root()
    require(root is not None, "no cgroup2 hierarchy mounted")
    assert root is not None
    cases = {
        "docker": "docker/{id}",
        "containerd": "kubepods/besteffort/pod1234/cri-containerd-{id}.scope",
        "cri-o": "kubepods.slice/crio-{id}.scope",
        "podman": "machine.slice/libpod-{id}.scope",
    }
    for runtime, layout in cases.items():
        full_id = uuid.uuid4().hex + uuid.uuid4().hex
        path = os.path.join(root, layout.format(id=full_id))
        doc = _run_in_cgroup(capture, path, full_id)
        assert doc["process"]["container"] == {
            "id": full_id[:12],
            "full_id": full_id,
            "runtime": runtime,
        }, runtime
        parents = [p for p in path.split("/")]
        for i in range(len(parents) - 1, 0, -1):
            parent = "/".join(parents[:i])
            if parent == root:
                break
            try:
                os.rmdir(parent)
            except OSError:
                break


def test_host_process_has_no_container(capture: CaptureHarness) -> None:
    since = capture.mark()
    subprocess.run(["cat", "/etc/hostname"], check=True, capture_output=True, timeout=10)
    [doc] = capture.wait_for(
        lambda d: d["event"].get("path") == "/etc/hostname" and d["process"]["name"] == "cat",
        since=since,
    )
    assert doc["process"]["container"] is None
