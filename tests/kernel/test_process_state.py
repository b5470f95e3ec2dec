"""Process state on the real kernel: pid reuse, reparenting, and an exec storm under an open
flood, each checked against what the workload (tests/kernel/workloads/lifecycle.c) logged."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bpfopa.capture import LiveSource
from bpfopa.state import CgroupResolver, ProcessTable
from tests.conftest import require
from tests.kernel.conftest import CaptureHarness

Doc = dict[str, Any]
WORKLOAD = Path(__file__).parent / "workloads" / "lifecycle.c"


@pytest.fixture(scope="module")
def lifecycle_bin(tmp_path_factory: pytest.TempPathFactory) -> str:
    gcc = shutil.which("gcc") or shutil.which("cc")
    require(gcc is not None, "a C compiler is needed for the lifecycle workload")
    assert gcc is not None
    out = tmp_path_factory.mktemp("workload") / "lifecycle"
    subprocess.run([gcc, "-O2", "-Wall", "-pthread", "-o", str(out), str(WORKLOAD)], check=True)
    return os.path.realpath(out)


@pytest.fixture
def openat_capture(capture_session: CaptureHarness) -> Iterator[CaptureHarness]:
    """The session capture with openat only: enough for the markers, light on a busy host."""
    capture_session.reset()
    capture_session.source.select_syscalls({"openat"})
    try:
        yield capture_session
    finally:
        capture_session.source.select_syscalls(())


def marker_docs(capture: CaptureHarness, path: str, since: int, count: int = 1) -> list[Doc]:
    return capture.wait_for(
        lambda d: d["event"]["name"] == "openat" and d["event"].get("path") == path,
        since=since,
        count=count,
        timeout=60,  # returns as soon as found: the bound is for a loaded machine
    )


def test_pid_reuse_keeps_each_execution_apart(
    openat_capture: CaptureHarness, lifecycle_bin: str, tmp_path: Path
) -> None:
    """A new process forced onto an exited one's pid (ns_last_pid): the old one's expiry must
    not delete the new one, and each document names its own execution."""
    table = openat_capture.source.table
    grace, table.grace_ns = table.grace_ns, 300_000_000  # the new process outlives it
    try:
        since = openat_capture.mark()
        subprocess.run([lifecycle_bin, "reuse", str(tmp_path)], check=True, timeout=60)
    finally:
        table.grace_ns = grace
    _, old, new, _tries = (tmp_path / "reuse.log").read_text().split()
    assert old == new
    [old_doc] = marker_docs(openat_capture, f"{tmp_path}/old-0", since)
    [new_first] = marker_docs(openat_capture, f"{tmp_path}/new-0", since)
    [new_late] = marker_docs(openat_capture, f"{tmp_path}/new-1", since)
    for doc, name, linger in (
        (old_doc, "old", "0"),
        (new_first, "new", "1500"),
        (new_late, "new", "1500"),
    ):
        assert doc["process"]["pid"] == int(old)
        # exec'd as /proc/self/exe: the kernel names the task "exe"; the file is the binary.
        assert doc["process"]["name"] == "exe" and doc["process"]["argv0"] == name
        assert doc["process"]["args"] == ["marker", str(tmp_path), name, linger]
        assert doc["process"]["exe"] == lifecycle_bin
    assert old_doc["process"]["start_time"] != new_late["process"]["start_time"]
    assert new_first["process"]["start_time"] == new_late["process"]["start_time"]
    assert "incomplete" not in new_late["process"]
    assert table.stats.pid_reuses >= 1


def test_process_outlives_its_main_thread(
    openat_capture: CaptureHarness, lifecycle_bin: str, tmp_path: Path
) -> None:
    """The leader thread exits first: the process is not retired until its last thread ends
    (past the grace period, /proc of a zombie leader no longer names the executable)."""
    table = openat_capture.source.table
    grace, table.grace_ns = table.grace_ns, 200_000_000
    try:
        since = openat_capture.mark()
        subprocess.run([lifecycle_bin, "threads", str(tmp_path)], check=True, timeout=30)
        [doc] = marker_docs(openat_capture, f"{tmp_path}/thread-0", since)
    finally:
        table.grace_ns = grace
    pid = int((tmp_path / "threads.log").read_text().split()[1])
    assert doc["process"]["pid"] == pid and doc["process"]["tid"] != pid
    assert doc["process"]["exe"] == lifecycle_bin
    assert doc["process"]["args"] == ["threads", str(tmp_path)]


@pytest.mark.parametrize("subreaper", [True, False], ids=["subreaper", "init"])
def test_orphan_is_reparented(
    openat_capture: CaptureHarness, lifecycle_bin: str, tmp_path: Path, subreaper: bool
) -> None:
    """The orphan's documents name the parent the kernel gave it (the header's ppid), not the
    exited one, whichever process took it."""
    since = openat_capture.mark()
    proc = subprocess.run(
        [lifecycle_bin, "orphan", str(tmp_path), "1" if subreaper else "0"], check=True, timeout=30
    )
    assert proc.returncode == 0
    _, pid, ppid_after, old_ppid = (tmp_path / "orphan.log").read_text().split()
    [doc] = marker_docs(openat_capture, f"{tmp_path}/orphan-0", since)
    assert doc["process"]["pid"] == int(pid)
    assert doc["process"]["ppid"] == int(ppid_after) != int(old_ppid)
    parent = doc["process"]["parent"]
    assert parent is not None and parent["pid"] == int(ppid_after)
    if subreaper:
        assert parent["exe"] == lifecycle_bin and parent["args"] == ["orphan", str(tmp_path), "1"]


def _expected_name(arg: str) -> str:
    return os.path.basename(arg)[:15]  # the kernel names the task after the path given


def test_exec_storm_under_open_flood(lifecycle_bin: str, tmp_path: Path) -> None:
    """Execs of one binary named three ways (/proc/self/exe, a symlink, a relative path) while
    an open flood overruns a tiny syscall ring and queue: syscall records are lost (counted),
    process state never is, and every exec is known with its real file, name and parent."""
    require(os.geteuid() == 0, "kernel tests need root")
    count = 400

    async def main() -> tuple[dict[str, int], list[Doc], ProcessTable, int]:
        source = LiveSource(syscalls={"openat"}, queue_batches=2, poll_interval=0.02)
        # One page of syscall ring: the flood overruns it; the lifecycle ring is as shipped.
        source._config = replace(source._config, ringbuf_pages=1)
        source.table = ProcessTable(cgroups=CgroupResolver(None), clock=source._clock)
        source.table.grace_ns = 600 * 1_000_000_000  # keep every execution for the checks
        await source.start()
        docs: list[Doc] = []

        async def consume() -> None:
            async for batch in source.batches():
                docs.extend(
                    d for d in batch if str(d["event"].get("path")).startswith(str(tmp_path))
                )

        consumer = asyncio.create_task(consume())
        floods = [
            await asyncio.create_subprocess_exec(
                lifecycle_bin, "flood", "/etc/hostname", "8", stdout=subprocess.DEVNULL
            )
            for _ in range(2)
        ]
        storm = await asyncio.create_subprocess_exec(
            lifecycle_bin, "storm", str(tmp_path), str(count)
        )
        assert await storm.wait() == 0
        for flood in floods:
            flood.kill()
            await flood.wait()
        for _ in range(150):  # up to 30 s for the decoder to catch up with the lifecycle lane
            if all(source.table.lookup(pid) is not None for _, pid, _ in _logged(tmp_path)):
                break
            await asyncio.sleep(0.2)
        await source.stop()
        await consumer
        counters = dict(source.counters())
        await source.aclose()
        return counters, docs, source.table, storm.pid

    counters, docs, table, storm_pid = asyncio.run(main())
    logged = _logged(tmp_path)
    done = (tmp_path / "storm.log").read_text().splitlines()[-1].split()
    rate = count / float(done[2])
    print(f"exec storm: {count} execs at {rate:.0f}/s under the flood; counters {counters}")
    assert len(logged) == count and done[3] == "0"
    assert counters["kernel_lost"] + counters["queue_dropped"] > 0, "the flood must overload"
    assert counters["lifecycle_kernel_lost"] == 0 and counters["lifecycle_queue_dropped"] == 0

    wrong: list[str] = []
    by_pid = {pid: (i, arg) for i, pid, arg in logged}
    for i, pid, arg in logged:
        proc = table.lookup(pid)
        parent = table.parent_of(proc) if proc is not None else None
        got = (
            (proc.exe, proc.name, proc.exe_arg, proc.argv, parent.pid, parent.exe)
            if proc is not None and parent is not None
            else None
        )
        want = (
            lifecycle_bin,
            _expected_name(arg),
            arg,
            ["applet", "applet", str(tmp_path), str(i)],
            storm_pid,
            lifecycle_bin,
        )
        if got != want:
            wrong.append(f"exec {i} pid {pid}: {got} != {want}")
    assert not wrong, f"{len(wrong)} of {count} execs wrong:\n" + "\n".join(wrong[:10])

    # The markers that got through the overloaded syscall lane name the right process.
    markers = [d for d in docs if "/marker-" in d["event"]["path"]]
    for doc in markers:
        i = int(doc["event"]["path"].rsplit("-", 1)[1])
        assert by_pid[doc["process"]["pid"]][0] == i
        assert doc["process"]["exe"] == lifecycle_bin
        assert doc["process"]["name"] == _expected_name(by_pid[doc["process"]["pid"]][1])
        assert doc["process"]["parent"]["pid"] == storm_pid
    print(f"exec storm: {len(markers)} marker documents of {count} delivered, all correct")


def _logged(tmp_path: Path) -> list[tuple[int, int, str]]:
    """(index, pid, path given to exec) of every exec the storm logged."""
    out = []
    for line in (tmp_path / "storm.log").read_text().splitlines():
        parts = line.split()
        if parts[0] == "exec":
            out.append((int(parts[1]), int(parts[2]), parts[3]))
    return out
