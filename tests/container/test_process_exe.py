"""process.exe in a real container is the file that runs: busybox applets are links to one
binary (and re-exec it as /proc/self/exe), and the path is the one inside the container."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker_engine import DockerEngine
from tests.kernel.conftest import CaptureHarness

pytestmark = pytest.mark.container
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def capture() -> Iterator[CaptureHarness]:
    harness = CaptureHarness()
    harness.source.select_syscalls({"openat", "execve", "execveat"})
    try:
        yield harness
    finally:
        harness.close()


def test_busybox_applets_show_busybox(
    capture: CaptureHarness, docker_engine: DockerEngine, busybox_ref: str
) -> None:
    missing = f"/tmp/bpfopa-{uuid.uuid4().hex[:12]}"
    since = capture.mark()
    # The runtime execs the applet's link; the shell runs an applet by re-executing busybox
    # as /proc/self/exe.
    for command in (["/bin/cat", f"{missing}-link"], ["sh", "-c", f"cat {missing}-self; true"]):
        docker_engine.docker("run", "--rm", "--network", "none", busybox_ref, *command, check=False)
    for suffix, exe_arg in (("link", "/bin/cat"), ("self", "/proc/self/exe")):
        [opened] = capture.wait_for(
            lambda d, s=suffix: (
                d["event"]["name"] == "openat" and d["event"].get("path") == f"{missing}-{s}"
            ),
            since=since,
            timeout=60,
        )
        proc = opened["process"]
        # The host's busybox is /usr/bin/busybox: this is the path inside the container's root.
        assert proc["exe"] == "/bin/busybox", f"{suffix}: the file that runs, in the container"
        assert proc["exe_arg"] == exe_arg, "the argument given to exec, apart"
        [execve] = capture.wait_for(
            lambda d, pid=proc["pid"]: (
                d["event"]["name"] == "execve"
                and d["event"]["ret"] == 0
                and d["process"]["pid"] == pid
            ),
            since=since,
        )
        assert execve["event"]["params"]["filename"] == exe_arg
        assert execve["event"]["path"] == "/bin/busybox"
