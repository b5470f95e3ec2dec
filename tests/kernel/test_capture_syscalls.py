"""Every syscall family, performed by a real child process and captured from the real kernel."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

import pytest

from tests.kernel.conftest import CaptureHarness

Doc = dict[str, Any]

PRELUDE = textwrap.dedent(
    """
    import ctypes, os, socket, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    d = sys.argv[1]
    """
)


def run_child(capture: CaptureHarness, body: str, tmp: str, *extra: str) -> tuple[int, int]:
    since = capture.mark()
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), tmp, *extra],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip() or 0) if proc.stdout.strip().isdigit() else 0, since


def child_docs(
    capture: CaptureHarness, since: int, name: str, pred: Any = None, count: int = 1
) -> list[Doc]:
    def match(doc: Doc) -> bool:
        return (
            (doc["event"]["name"] == name and doc["process"]["name"] == "python3"[:15])
            or (doc["event"]["name"] == name and doc["process"]["exe"] == sys.executable)
        ) and (pred is None or pred(doc))

    return capture.wait_for(match, since=since, count=count)


@pytest.fixture
def tmp() -> Any:
    with tempfile.TemporaryDirectory(prefix="bpfopa-test-") as d:
        yield d


def test_open_family(capture: CaptureHarness, tmp: str) -> None:
    _, since = run_child(
        capture,
        """
        fd = os.open(d + "/new.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.close(fd)
        libc.creat((d + "/creat.txt").encode(), 0o600)
        os.chdir(d)
        fd = os.open("rel.txt", os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        os.open("/nonexistent/x", os.O_RDONLY) if False else None
        try:
            os.open(d + "/missing", os.O_RDONLY)
        except FileNotFoundError:
            pass
    """,
        tmp,
    )
    [created] = child_docs(
        capture, since, "openat", lambda d: d["event"]["path"] == f"{tmp}/new.txt"
    )
    event = created["event"]
    assert event["params"]["dfd"] == -100
    assert event["flags"] == ["O_WRONLY", "O_CREAT", "O_TRUNC", "O_CLOEXEC"] or set(
        event["flags"]
    ) >= {"O_WRONLY", "O_CREAT", "O_TRUNC"}
    assert event["params"]["mode"] == 0o644
    assert "S_IRUSR" in event["mode_names"] and "S_IWUSR" in event["mode_names"]
    assert event["ret"] >= 0 and event["error"] is None
    proc = created["process"]
    assert proc["exe"] == os.path.realpath(sys.executable) or proc["exe"] == sys.executable
    assert proc["ppid"] == os.getpid()
    assert proc["parent"]["pid"] == os.getpid()
    assert proc["args"][0] == "-c"
    [creat] = child_docs(capture, since, "creat")
    assert (
        creat["event"]["path"] == f"{tmp}/creat.txt" and creat["event"]["params"]["mode"] == 0o600
    )
    [relative] = child_docs(
        capture, since, "openat", lambda d: d["event"]["params"]["filename"] == "rel.txt"
    )
    assert relative["event"]["path"] == f"{tmp}/rel.txt", "relative path resolved against cwd"
    assert "O_APPEND" in relative["event"]["flags"]
    [missing] = child_docs(
        capture, since, "openat", lambda d: d["event"]["path"] == f"{tmp}/missing"
    )
    assert missing["event"]["error"] == "ENOENT" and missing["event"]["ret"] == -2


def test_file_namespace_ops(capture: CaptureHarness, tmp: str) -> None:
    _, since = run_child(
        capture,
        """
        os.mkdir(d + "/sub", 0o755)
        open(d + "/a", "w").close()
        os.rename(d + "/a", d + "/b")
        os.symlink("/etc/shadow", d + "/link")
        os.link(d + "/b", d + "/hard")
        os.chmod(d + "/b", 0o4755)
        fd = os.open(d + "/b", os.O_RDONLY)
        os.fchmod(fd, 0o644)
        os.unlink(d + "/hard")
        os.rmdir(d + "/sub")
    """,
        tmp,
    )
    [mkdir] = child_docs(capture, since, "mkdir") or child_docs(capture, since, "mkdirat")
    assert mkdir["event"]["path"] == f"{tmp}/sub"
    [rename] = child_docs(capture, since, "rename") or child_docs(capture, since, "renameat2")
    assert rename["event"]["paths"] == {
        **rename["event"]["paths"],
        "oldname": f"{tmp}/a",
        "newname": f"{tmp}/b",
    }
    [symlink] = child_docs(capture, since, "symlink") or child_docs(capture, since, "symlinkat")
    assert symlink["event"]["params"]["oldname"] == "/etc/shadow"
    assert symlink["event"]["path"] == f"{tmp}/link"
    [link] = child_docs(capture, since, "link") or child_docs(capture, since, "linkat")
    assert link["event"]["paths"]["oldname"] == f"{tmp}/b"
    [chmod] = [
        d for d in child_docs(capture, since, "chmod") + child_docs(capture, since, "fchmodat")
    ]
    assert chmod["event"]["path"] == f"{tmp}/b"
    assert "S_ISUID" in chmod["event"]["mode_names"]
    [fchmod] = child_docs(capture, since, "fchmod")
    assert fchmod["event"]["fd"]["type"] == "file" and fchmod["event"]["fd"]["name"] == f"{tmp}/b"
    [unlink] = child_docs(capture, since, "unlink") or child_docs(capture, since, "unlinkat")
    assert unlink["event"]["path"] == f"{tmp}/hard"
    [rmdir] = child_docs(capture, since, "rmdir") or child_docs(
        capture, since, "unlinkat", lambda d: "AT_REMOVEDIR" in d["event"].get("flags", [])
    )
    assert rmdir["event"]["path"] == f"{tmp}/sub"


def test_network(capture: CaptureHarness, tmp: str) -> None:
    _, since = run_child(
        capture,
        """
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0)); srv.listen(1)
        port = srv.getsockname()[1]
        cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        cli.connect(("127.0.0.1", port))
        conn, _ = srv.accept()
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.sendto(b"x", ("::1", 9))
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            u.connect(d + "/nosuch.sock")
        except OSError:
            pass
        os.dup2(conn.fileno(), 1)
    """,
        tmp,
    )
    [connect] = child_docs(
        capture,
        since,
        "connect",
        lambda d: d["event"]["params"]["uservaddr"]["family"] == "AF_INET",
    )
    addr = connect["event"]["params"]["uservaddr"]
    assert addr["address"] == "127.0.0.1" and isinstance(addr["port"], int) and addr["port"] > 0
    assert connect["event"]["fd"]["type"] == "ipv4"
    [bind] = child_docs(capture, since, "bind")
    assert bind["event"]["params"]["umyaddr"] == {
        "family": "AF_INET",
        "address": "127.0.0.1",
        "port": 0,
    }
    [listen] = child_docs(capture, since, "listen")
    assert listen["event"]["ret"] == 0
    [accept] = child_docs(capture, since, "accept4") or child_docs(capture, since, "accept")
    assert accept["event"]["params"]["upeer_sockaddr"]["address"] == "127.0.0.1"
    [sendto] = child_docs(
        capture, since, "sendto", lambda d: d["event"]["params"]["addr"] is not None
    )
    assert (
        sendto["event"]["params"]["addr"]["address"] == "::1"
        and sendto["event"]["params"]["addr"]["port"] == 9
    )
    sockets = child_docs(capture, since, "socket", count=3)
    assert {
        (s["event"]["params"]["family_name"], s["event"]["params"]["type_name"]) for s in sockets
    } >= {("AF_INET", "SOCK_STREAM"), ("AF_INET6", "SOCK_DGRAM"), ("AF_UNIX", "SOCK_STREAM")}
    [unix] = child_docs(
        capture,
        since,
        "connect",
        lambda d: d["event"]["params"]["uservaddr"]["family"] == "AF_UNIX",
    )
    assert unix["event"]["params"]["uservaddr"]["address"] == f"{tmp}/nosuch.sock"
    assert unix["event"]["error"] == "ENOENT"
    to_stdout = lambda d: d["event"]["params"]["newfd"] == 1  # noqa: E731
    [dup] = child_docs(capture, since, "dup2", to_stdout) or child_docs(
        capture, since, "dup3", to_stdout
    )
    assert dup["event"]["fd"]["type"] == "ipv4", "dup of a socket onto stdout is recognisable"


def test_process_and_privilege(capture: CaptureHarness, tmp: str) -> None:
    _, since = run_child(
        capture,
        """
        PTRACE_TRACEME = 0
        pid = os.fork()
        if pid == 0:
            libc.ptrace(PTRACE_TRACEME, 0, 0, 0)
            os._exit(0)
        os.waitpid(pid, 0)
        os.kill(os.getpid(), 0)
        os.setresgid(0, 0, 0)
        os.setgid(0)
        os.setreuid(0, 0)
        os.setresuid(0, 0, 0)
        os.setuid(0)
        fd = os.memfd_create("payload", os.MFD_CLOEXEC)
        libc.dup(fd)  # os.dup uses fcntl(F_DUPFD_CLOEXEC)
        CLONE_NEWUTS = 0x04000000
        libc.unshare(CLONE_NEWUTS)
        ns = os.open("/proc/self/ns/uts", os.O_RDONLY)
        libc.setns(ns, CLONE_NEWUTS)
        libc.syscall(321, 0, None, 0)  # bpf(BPF_MAP_CREATE, NULL, 0): EINVAL, still captured
    """,
        tmp,
    )
    [ptrace] = child_docs(capture, since, "ptrace")
    assert ptrace["event"]["params"]["request_name"] == "PTRACE_TRACEME"
    [kill] = child_docs(capture, since, "kill")
    assert kill["event"]["params"]["sig"] == 0
    for name in ("setuid", "setgid", "setreuid", "setresuid", "setresgid"):
        [doc] = child_docs(capture, since, name)
        assert doc["event"]["ret"] == 0, name
    [memfd] = child_docs(capture, since, "memfd_create")
    assert memfd["event"]["params"]["uname"] == "payload" and memfd["event"]["flags"] == [
        "MFD_CLOEXEC"
    ]
    [dup] = child_docs(capture, since, "dup")
    assert dup["event"]["fd"]["type"] == "memfd"
    [unshare] = child_docs(capture, since, "unshare")
    assert unshare["event"]["flags"] == ["CLONE_NEWUTS"]
    [setns] = child_docs(capture, since, "setns")
    assert setns["event"]["flags"] == ["CLONE_NEWUTS"]
    [bpf] = child_docs(capture, since, "bpf")
    assert bpf["event"]["error"] == "EINVAL" and bpf["event"]["params"]["cmd"] == 0


def test_mount_umount(capture: CaptureHarness, tmp: str) -> None:
    _, since = run_child(
        capture,
        """
        libc.unshare(0x00020000)  # CLONE_NEWNS: keep the mount private to this child
        libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None)  # MS_PRIVATE|MS_REC
        assert libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, None) == 0
        assert libc.umount2(d.encode(), 2) == 0  # MNT_DETACH
    """,
        tmp,
    )
    [mount] = child_docs(capture, since, "mount", lambda d: d["event"]["params"]["type"] == "tmpfs")
    assert mount["event"]["path"] == tmp and mount["event"]["ret"] == 0
    [umount] = child_docs(capture, since, "umount2")
    assert umount["event"]["path"] == tmp and umount["event"]["flags"] == ["MNT_DETACH"]


def test_execve_and_failed_exec(capture: CaptureHarness, tmp: str) -> None:
    since = capture.mark()
    proc = subprocess.run(
        ["/bin/sh", "-c", "/bin/true a b; /nonexistent/cmd; true"], capture_output=True, timeout=10
    )
    assert proc.returncode == 0
    [ok] = capture.wait_for(
        lambda d: d["event"]["name"] == "execve" and d["process"]["name"] == "true", since=since
    )
    assert ok["event"]["ret"] == 0
    assert ok["process"]["exe"] == "/bin/true" and ok["process"]["args"] == ["a", "b"]
    assert ok["process"]["parent"]["name"] == "sh"
    [failed] = capture.wait_for(
        lambda d: (
            d["event"]["name"] == "execve"
            and d["event"]["params"].get("filename") == "/nonexistent/cmd"
        ),
        since=since,
    )
    assert failed["event"]["error"] == "ENOENT"
    assert failed["process"]["name"] == "sh", "a failed exec leaves the caller as it was"


def test_short_lived_process(capture: CaptureHarness) -> None:
    since = capture.mark()
    sh = subprocess.Popen(["sh", "-c", "cat /etc/hostname"], stdout=subprocess.DEVNULL)
    sh.wait(10)
    [doc] = capture.wait_for(
        lambda d: (
            d["event"]["name"] == "openat"
            and d["event"]["path"] == "/etc/hostname"
            and d["process"]["ppid"] == sh.pid
        ),
        since=since,
    )
    proc = doc["process"]
    assert proc["name"] == "cat" and proc["exe"] == "/usr/bin/cat"
    assert proc["args"] == ["/etc/hostname"] and proc["cmdline"] == "cat /etc/hostname"
    assert proc["parent"]["name"] == "sh" and proc["parent"]["pid"] == sh.pid
    assert proc["ancestors"][0]["pid"] == os.getpid()


def test_monitor_excludes_itself(capture: CaptureHarness) -> None:
    since = capture.mark()
    for _ in range(20):
        with open("/etc/hostname"):
            pass
    socket.socket().close()
    seen = capture.wait_for(lambda d: d["process"]["pid"] == os.getpid(), since=since, timeout=1.0)
    assert seen == []
