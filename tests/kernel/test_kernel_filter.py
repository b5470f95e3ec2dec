"""The probes' kernel filter against its Python model, on real opens.

A child process makes opens (open, openat, openat2) of paths on both sides of the bundled
policies' filter and around its edges; a capture limited to that child (compiled with its pid)
shows which records the probes wrote. The records that arrive must be exactly those
``CompiledFilter.keeps`` predicts, and every other open must be counted as filtered:
observed = filtered in the kernel + written.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bpfopa.capture._kfilter import CompiledFilter, compile_filter, open_pass_flags
from tests.conftest import OpaServer, require
from tests.kernel.conftest import CaptureHarness

OPENS = ("open", "openat", "openat2")
O_WRONLY, O_RDWR, O_DIRECTORY = 1, 2, 0o200000

# Runs the opens it is sent, one JSON list [[syscall, path, flags, times], ...] per line.
_CHILD = r"""
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]

NR = {"open": 2, "openat": 257, "openat2": 437}
print("ready", flush=True)
for line in sys.stdin:
    for name, path, flags, times in json.loads(line):
        raw = path.encode()
        for _ in range(times):
            if name == "open":
                fd = libc.syscall(NR["open"], raw, flags, 0)
            elif name == "openat":
                fd = libc.syscall(NR["openat"], -100, raw, flags, 0)
            else:
                how = OpenHow(flags, 0, 0)
                fd = libc.syscall(NR["openat2"], -100, raw, ctypes.byref(how), 24)
            if fd >= 0:
                os.close(fd)
    print("done", flush=True)
"""

# Paths on both sides of the bundled filter, and the forms the probe must keep whatever they
# name. Write opens name paths that do not exist, so nothing is created.
_CASES: list[tuple[str, str, int]] = [
    (name, path, flags)
    for name in OPENS
    for path, flags in [
        ("/etc/hostname", 0),
        ("/etc/hosts", 0),
        ("/etc/shadow", 0),
        ("/etc/shadowx", 0),
        ("/etc/shado", 0),
        ("/etc/pam.d/other", 0),
        ("/usr/lib/os-release", 0),
        ("/proc/self/status", 0),
        ("/usr/bin/bpfopa-kf-missing/x", O_WRONLY),
        ("/usr/bin/bpfopa-kf-missing/x", 0),
        ("/usr/binx/bpfopa-kf-missing", O_RDWR),
        ("/var/log/bpfopa-kf-missing/syslog", O_WRONLY),
        ("/srv/bpfopa-kf-missing/syslog", 0),
        ("/tmp/bpfopa-kf-missing/.hidden", 0),
        ("/tmp/bpfopa-kf-missing/zsh_history", 0),
        ("/tmp/bpfopa-kf-missing/hisx", 0),
        ("/sys/fs/cgroup/bpfopa-kf-missing/release_agent", O_WRONLY),
        ("bpfopa-kf-relative", 0),
        ("//etc/hosts", 0),
        ("/etc/./hosts", 0),
        ("/etc/", 0),
        ("/etc", O_DIRECTORY),
        ("/tmp/" + "a" * 300, 0),
        ("/tmp/" + "b" * 240, 0),
    ]
]


@pytest.fixture(scope="module")
def child() -> Iterator[subprocess.Popen[str]]:
    require(os.geteuid() == 0, "kernel tests need root")
    proc = subprocess.Popen(
        ["/usr/bin/python3", "-c", _CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def child_capture(child: subprocess.Popen[str]) -> Iterator[CaptureHarness]:
    """Every open of the child, and nothing else (the probes are compiled with its pid)."""
    from bpfopa.capture import LiveSource

    harness = CaptureHarness(LiveSource(syscalls=set(OPENS), target_pid=child.pid))
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="module")
def compiled(opa_server: OpaServer) -> CompiledFilter:
    url = f"{opa_server.url}/v1/data/bpfopa/kernel_filter/syscalls"
    with urllib.request.urlopen(url, timeout=10) as resp:
        document = json.load(resp)["result"]
    result = compile_filter(document, pass_flags=open_pass_flags("x86_64"), unscoped_rules=[])
    assert result.filtered == set(OPENS)
    return result.compiled


def _run(child: subprocess.Popen[str], opens: list[tuple[str, str, int, int]]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(opens) + "\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "done"


def _filtered(capture: CaptureHarness) -> dict[str, int]:
    counters = capture.source.counters()
    return {name: counters.get(f"kernel_filtered.{name}", 0) for name in OPENS}


def _opens_of(capture: CaptureHarness, since: int, pid: int, count: int) -> list[dict[str, Any]]:
    return capture.wait_for(
        lambda d: d["event"]["name"] in OPENS and d["process"]["pid"] == pid,
        since=since,
        count=count,
        timeout=20,
    )


def test_probes_agree_with_the_model(
    child: subprocess.Popen[str], child_capture: CaptureHarness, compiled: CompiledFilter
) -> None:
    child_capture.source.set_kernel_filter(compiled)
    expected = [c for c in _CASES if compiled.keeps(c[0], c[1].encode(), c[2])]
    dropped = [c for c in _CASES if c not in expected]
    assert len(expected) > 30 and len(dropped) > 15  # both sides, every syscall
    before, mark = _filtered(child_capture), child_capture.mark()
    _run(child, [(name, path, flags, 1) for name, path, flags in _CASES])
    docs = _opens_of(child_capture, mark, child.pid, len(expected))
    time.sleep(0.5)  # anything the model did not expect would arrive meanwhile
    docs = _opens_of(child_capture, mark, child.pid, len(expected))
    seen = sorted((d["event"]["name"], d["event"]["params"]["filename"], _flags(d)) for d in docs)
    assert seen == sorted(expected)
    after = _filtered(child_capture)
    for name in OPENS:
        assert after[name] - before[name] == sum(c[0] == name for c in dropped), name
    # The documents the probes kept are the ones the model keeps, decoded.
    assert all(compiled.keeps_document(d) for d in docs)


def _flags(doc: dict[str, Any]) -> int:
    params = doc["event"]["params"]
    flags = params.get("flags")
    return int(flags if isinstance(flags, int) else params["how"]["flags"])


def test_filtered_opens_are_counted(
    child: subprocess.Popen[str], child_capture: CaptureHarness, compiled: CompiledFilter
) -> None:
    """N opens of a filtered path: N counted as filtered, none written; with the filter off,
    N written and none counted."""
    n = 500
    assert not compiled.keeps("openat", b"/etc/hostname", 0)
    child_capture.source.set_kernel_filter(compiled)
    before, mark = _filtered(child_capture), child_capture.mark()
    _run(child, [("openat", "/etc/hostname", 0, n), ("openat", "/etc/shadow", 0, 1)])
    docs = _opens_of(child_capture, mark, child.pid, 1)
    assert [d["event"]["path"] for d in docs] == ["/etc/shadow"]
    assert _filtered(child_capture)["openat"] - before["openat"] == n
    records_before = child_capture.source.counters()["records"]

    child_capture.source.set_kernel_filter(None)
    before, mark = _filtered(child_capture), child_capture.mark()
    _run(child, [("openat", "/etc/hostname", 0, n)])
    docs = _opens_of(child_capture, mark, child.pid, n)
    assert len(docs) == n
    assert _filtered(child_capture) == before
    assert child_capture.source.counters()["records"] - records_before >= n


# Actions of the live rule tests (tests/kernel/test_rules_live.py) that the open rules flag,
# and ordinary ones; {tmp} is a scratch directory, {depth} climbs from it to /.
_ACTIONS = [
    "cat /etc/shadow > /dev/null",
    "cat /etc/hostname /etc/hosts > /dev/null",
    "echo x > {tmp}/.hidden",
    ": > /var/log/bpfopa-kf-{name}.log; rm -f /var/log/bpfopa-kf-{name}.log",
    "touch /dev/bpfopa-kf-{name}; rm -f /dev/bpfopa-kf-{name}",
    "ls -R /usr/lib/python3 > /dev/null 2>&1",
    "find /etc -maxdepth 2 -name '*.conf' > /dev/null 2>&1",
    "python3 -c 'import json, email'",
]


def _alerts(url: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{url}/v1/data/bpfopa/main/alerts",
        data=json.dumps({"input": {"events": docs}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        return list(json.load(resp).get("result") or [])


@pytest.fixture
def open_capture(capture_session: CaptureHarness) -> Iterator[CaptureHarness]:
    """The session capture with the opens selected (no kernel filter), for one test."""
    capture_session.reset()
    capture_session.source.select_syscalls(OPENS)
    try:
        yield capture_session
    finally:
        capture_session.source.select_syscalls(())


def test_real_traces_dropped_documents_raise_no_alert(
    open_capture: CaptureHarness,
    compiled: CompiledFilter,
    opa_server: OpaServer,
    tmp_path: Any,
) -> None:
    """Real documents, captured with the filter off while rule-triggering and ordinary actions
    run (and whatever else the host does meanwhile): the ones the filter would drop raise no
    alert, and the alerts the actions raise all come from documents it keeps."""
    capture = open_capture
    mark = capture.mark()
    depth = "../" * len(tmp_path.parts)
    for action in _ACTIONS:
        command = action.format(tmp=tmp_path, depth=depth, name=os.getpid())
        subprocess.run(["/bin/sh", "-c", command], check=False, timeout=60)
    # Not below a shell: directory_traversal_monitored_file_read spares shells' children.
    traversal = f"{depth}etc/hostname"
    subprocess.run(["cat", traversal], cwd=tmp_path, check=True, capture_output=True)
    capture.wait_for(
        lambda d: d["event"]["params"].get("filename") == traversal, since=mark, timeout=60
    )
    time.sleep(1)
    docs = capture.wait_for(lambda d: d["event"]["name"] in OPENS, since=mark, timeout=0)
    dropped = [d for d in docs if not compiled.keeps_document(d)]
    kept = [d for d in docs if compiled.keeps_document(d)]
    assert len(dropped) > 100 and len(kept) > 5, (len(dropped), len(kept))
    for start in range(0, len(dropped), 1000):
        alerts = _alerts(opa_server.url, dropped[start : start + 1000])
        assert not alerts, alerts[:3]
    rules = {a["id"] for a in _alerts(opa_server.url, kept)}
    traversals = [d for d in kept if d["event"]["params"].get("filename") == traversal]
    assert traversals, "the traversal open was not captured"
    expected = {
        "read_sensitive_file_untrusted",
        "clear_log_activities",
        "create_files_below_dev",
        "directory_traversal_monitored_file_read",
    }
    assert expected <= rules, rules
