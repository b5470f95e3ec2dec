"""Every syscall family, performed by a real child process and captured from the real kernel."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.conftest import CaptureHarness, overlay_mount

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
    """Run ``body`` in a fresh Python child; returns (child pid, capture mark before it)."""
    since = capture.mark()
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), tmp, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return proc.pid, since


def child_docs(
    capture: CaptureHarness, child: tuple[int, int], name: str, pred: Any = None, count: int = 1
) -> list[Doc]:
    """Documents of syscall ``name`` made by the child (or a process it forked)."""
    pid, since = child

    def match(doc: Doc) -> bool:
        proc = doc["process"]
        # After the exec: between fork and exec the child still runs pytest's image (and
        # dup2s its pipes onto 0-2); the script runs as `python -c ...`.
        return (
            doc["event"]["name"] == name
            and pid in (proc["pid"], proc["ppid"])
            and proc["args"][:1] == ["-c"]
            and (pred is None or pred(doc))
        )

    return capture.wait_for(match, since=since, count=count)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tmp() -> Any:
    with tempfile.TemporaryDirectory(prefix="bpfopa-test-") as d:
        yield d


def test_open_family(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
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
        capture, child, "openat", lambda d: d["event"]["path"] == f"{tmp}/new.txt"
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
    [creat] = child_docs(capture, child, "creat")
    assert (
        creat["event"]["path"] == f"{tmp}/creat.txt" and creat["event"]["params"]["mode"] == 0o600
    )
    [relative] = child_docs(
        capture, child, "openat", lambda d: d["event"]["params"]["filename"] == "rel.txt"
    )
    assert relative["event"]["path"] == f"{tmp}/rel.txt", "relative path resolved against cwd"
    assert "O_APPEND" in relative["event"]["flags"]
    [missing] = child_docs(
        capture, child, "openat", lambda d: d["event"]["path"] == f"{tmp}/missing"
    )
    assert missing["event"]["error"] == "ENOENT" and missing["event"]["ret"] == -2


def test_file_namespace_ops(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
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
    [mkdir] = child_docs(capture, child, "mkdir") or child_docs(capture, child, "mkdirat")
    assert mkdir["event"]["path"] == f"{tmp}/sub"
    [rename] = child_docs(capture, child, "rename") or child_docs(capture, child, "renameat2")
    assert rename["event"]["paths"] == {
        **rename["event"]["paths"],
        "oldname": f"{tmp}/a",
        "newname": f"{tmp}/b",
    }
    [symlink] = child_docs(capture, child, "symlink") or child_docs(capture, child, "symlinkat")
    assert symlink["event"]["params"]["oldname"] == "/etc/shadow"
    assert symlink["event"]["path"] == f"{tmp}/link"
    [link] = child_docs(capture, child, "link") or child_docs(capture, child, "linkat")
    assert link["event"]["paths"]["oldname"] == f"{tmp}/b"
    [chmod] = [
        d for d in child_docs(capture, child, "chmod") + child_docs(capture, child, "fchmodat")
    ]
    assert chmod["event"]["path"] == f"{tmp}/b"
    assert "S_ISUID" in chmod["event"]["mode_names"]
    [fchmod] = child_docs(capture, child, "fchmod")
    assert fchmod["event"]["fd"]["type"] == "file" and fchmod["event"]["fd"]["name"] == f"{tmp}/b"
    [unlink] = child_docs(capture, child, "unlink") or child_docs(capture, child, "unlinkat")
    assert unlink["event"]["path"] == f"{tmp}/hard"
    [rmdir] = child_docs(capture, child, "rmdir") or child_docs(
        capture, child, "unlinkat", lambda d: "AT_REMOVEDIR" in d["event"].get("flags", [])
    )
    assert rmdir["event"]["path"] == f"{tmp}/sub"


def test_network(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
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
        child,
        "connect",
        lambda d: d["event"]["params"]["uservaddr"]["family"] == "AF_INET",
    )
    addr = connect["event"]["params"]["uservaddr"]
    assert addr["address"] == "127.0.0.1" and isinstance(addr["port"], int) and addr["port"] > 0
    assert connect["event"]["fd"]["type"] == "ipv4"
    [bind] = child_docs(capture, child, "bind")
    assert bind["event"]["params"]["umyaddr"] == {
        "family": "AF_INET",
        "address": "127.0.0.1",
        "port": 0,
    }
    [listen] = child_docs(capture, child, "listen")
    assert listen["event"]["ret"] == 0
    [accept] = child_docs(capture, child, "accept4") or child_docs(capture, child, "accept")
    assert accept["event"]["params"]["upeer_sockaddr"]["address"] == "127.0.0.1"
    [sendto] = child_docs(
        capture, child, "sendto", lambda d: d["event"]["params"]["addr"] is not None
    )
    assert (
        sendto["event"]["params"]["addr"]["address"] == "::1"
        and sendto["event"]["params"]["addr"]["port"] == 9
    )
    sockets = child_docs(capture, child, "socket", count=3)
    assert {
        (s["event"]["params"]["family_name"], s["event"]["params"]["type_name"]) for s in sockets
    } >= {("AF_INET", "SOCK_STREAM"), ("AF_INET6", "SOCK_DGRAM"), ("AF_UNIX", "SOCK_STREAM")}
    [unix] = child_docs(
        capture,
        child,
        "connect",
        lambda d: d["event"]["params"]["uservaddr"]["family"] == "AF_UNIX",
    )
    assert unix["event"]["params"]["uservaddr"]["address"] == f"{tmp}/nosuch.sock"
    assert unix["event"]["error"] == "ENOENT"
    to_stdout = lambda d: d["event"]["params"]["newfd"] == 1  # noqa: E731
    [dup] = child_docs(capture, child, "dup2", to_stdout) or child_docs(
        capture, child, "dup3", to_stdout
    )
    assert dup["event"]["fd"]["type"] == "ipv4", "dup of a socket onto stdout is recognisable"


def test_process_and_privilege(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
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
        libc.syscall(323, 0o2000000)  # userfaultfd(O_CLOEXEC): root may; refused is captured too
    """,
        tmp,
    )
    [ptrace] = child_docs(capture, child, "ptrace")
    assert ptrace["event"]["params"]["request_name"] == "PTRACE_TRACEME"
    [kill] = child_docs(capture, child, "kill")
    assert kill["event"]["params"]["sig"] == 0
    for name in ("setuid", "setgid", "setreuid", "setresuid", "setresgid"):
        [doc] = child_docs(capture, child, name)
        assert doc["event"]["ret"] == 0, name
    [memfd] = child_docs(capture, child, "memfd_create")
    assert memfd["event"]["params"]["uname"] == "payload" and memfd["event"]["flags"] == [
        "MFD_CLOEXEC"
    ]
    [dup] = child_docs(capture, child, "dup")
    assert dup["event"]["fd"]["type"] == "memfd"
    [unshare] = child_docs(capture, child, "unshare")
    assert unshare["event"]["flags"] == ["CLONE_NEWUTS"]
    [setns] = child_docs(capture, child, "setns")
    assert setns["event"]["flags"] == ["CLONE_NEWUTS"]
    [bpf] = child_docs(capture, child, "bpf")
    assert bpf["event"]["error"] == "EINVAL" and bpf["event"]["params"]["cmd"] == 0
    [uffd] = child_docs(capture, child, "userfaultfd")
    assert uffd["event"]["params"]["flags"] == 0o2000000


def test_mount_umount(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
        capture,
        """
        libc.unshare(0x00020000)  # CLONE_NEWNS: keep the mount private to this child
        libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None)  # MS_PRIVATE|MS_REC
        assert libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, None) == 0
        assert libc.umount2(d.encode(), 2) == 0  # MNT_DETACH
    """,
        tmp,
    )
    [mount] = child_docs(capture, child, "mount", lambda d: d["event"]["params"]["type"] == "tmpfs")
    assert mount["event"]["path"] == tmp and mount["event"]["ret"] == 0
    [umount] = child_docs(capture, child, "umount2")
    assert umount["event"]["path"] == tmp and umount["event"]["flags"] == ["MNT_DETACH"]


def test_execve_and_failed_exec(capture: CaptureHarness, tmp: str) -> None:
    since = capture.mark()
    proc = subprocess.Popen(["/bin/sh", "-c", "/bin/true a b; /nonexistent/cmd; true"])
    assert proc.wait(10) == 0
    [ok] = capture.wait_for(
        lambda d: (
            d["event"]["name"] == "execve"
            and d["process"]["name"] == "true"
            and d["process"]["ppid"] == proc.pid
        ),
        since=since,
    )
    assert ok["event"]["ret"] == 0
    # The file that runs (/bin is a symlink on merged-/usr systems); the argument apart.
    assert ok["process"]["exe"] == os.path.realpath("/bin/true")
    assert ok["process"]["exe_arg"] == "/bin/true" and ok["process"]["args"] == ["a", "b"]
    assert ok["event"]["params"]["filename"] == "/bin/true"
    assert ok["process"]["parent"]["name"] == "sh"
    [failed] = capture.wait_for(
        lambda d: (
            d["event"]["name"] == "execve"
            and d["event"]["params"].get("filename") == "/nonexistent/cmd"
            and d["process"]["ppid"] == proc.pid
        ),
        since=since,
    )
    assert failed["event"]["error"] == "ENOENT"
    assert failed["process"]["name"] == "sh", "a failed exec leaves the caller as it was"


def test_exe_upper_layer_on_overlayfs(capture: CaptureHarness, tmp: str) -> None:
    with overlay_mount(Path(tmp)) as (lower, merged):
        shutil.copy2("/bin/true", lower / "image-true")
        shutil.copy2("/bin/true", merged / "dropped-true")  # written in the running "container"
        since = capture.mark()
        for exe in (merged / "image-true", merged / "dropped-true"):
            subprocess.run([exe], check=True)
        subprocess.run(["/bin/true", "host"], check=True)

        def exec_of(exe: str, *args: str) -> dict[str, Any]:
            [doc] = capture.wait_for(
                lambda d: (
                    d["event"]["name"] == "execve"
                    and d["event"]["ret"] == 0
                    and d["process"]["exe"] == os.path.realpath(exe)
                    and d["process"]["args"] == list(args)
                ),
                since=since,
            )
            return doc

        assert exec_of(f"{merged}/image-true")["process"]["exe_upper_layer"] is False
        assert exec_of(f"{merged}/dropped-true")["process"]["exe_upper_layer"] is True
        assert exec_of("/bin/true", "host")["process"]["exe_upper_layer"] is False


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
    # A later event from a child: once it is decoded, ours would have been too.
    after = subprocess.Popen(["cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
    after.wait(10)
    assert capture.wait_for(
        lambda d: d["process"]["pid"] == after.pid and d["event"].get("path") == "/etc/hostname",
        since=since,
    )
    seen = capture.wait_for(lambda d: d["process"]["pid"] == os.getpid(), since=since, timeout=0)
    assert seen == []


def test_socket_endpoints_and_messages(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
        capture,
        """
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("127.0.0.1", int(sys.argv[2])))
        port = srv.getsockname()[1]
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.sendmsg([b"ping"], [], 0, ("127.0.0.1", port))
        data, peer = srv.recvfrom(16)
        srv.sendto(b"pong", peer)
        cli.recvmsg(16)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", int(sys.argv[3]))); tcp.listen(1)
        tport = tcp.getsockname()[1]
        c = socket.socket(); c.connect(("127.0.0.1", tport))
        conn, _ = tcp.accept()
        os.dup2(conn.fileno(), 1)
        """,
        tmp,
        str(free_port(socket.SOCK_DGRAM)),
        str(free_port(socket.SOCK_STREAM)),
    )
    [sendmsg] = child_docs(capture, child, "sendmsg")
    assert sendmsg["event"]["params"]["msg"]["address"] == "127.0.0.1"
    assert sendmsg["event"]["fd"]["proto"] == "udp"
    [recvfrom] = child_docs(capture, child, "recvfrom")
    assert recvfrom["event"]["params"]["addr"]["address"] == "127.0.0.1"
    local = recvfrom["event"]["fd"]["local"]
    assert local["address"] == "127.0.0.1" and local["port"] > 0
    [recvmsg] = child_docs(capture, child, "recvmsg")
    assert recvmsg["event"]["params"]["msg"]["port"] == local["port"]
    [dup] = child_docs(capture, child, "dup2", lambda d: d["event"]["params"]["newfd"] == 1)
    fd = dup["event"]["fd"]
    assert fd["type"] == "ipv4" and fd["proto"] == "tcp"
    assert fd["local"]["port"] > 0 and fd["remote"]["address"] == "127.0.0.1"
    assert fd["name"] == f"127.0.0.1:{fd['local']['port']}->127.0.0.1:{fd['remote']['port']}"


def test_setuid_reports_the_caller_before_the_change(capture: CaptureHarness, tmp: str) -> None:
    child = run_child(
        capture,
        """
        pid = os.fork()
        if pid == 0:
            os.setuid(65534)
            os._exit(0)
        os.waitpid(pid, 0)
        libc.syscall(452, -100, (d + "/x").encode(), 0o644, 0)  # fchmodat2: ENOENT
        """,
        tmp,
    )
    [doc] = child_docs(capture, child, "setuid", lambda d: d["event"]["params"]["uid"] == 65534)
    assert doc["event"]["before"]["uid"] == 0 and doc["process"]["uid"] == 65534
    [chmod2] = child_docs(capture, child, "fchmodat2")
    assert chmod2["event"]["path"] == f"{tmp}/x" and chmod2["event"]["error"] == "ENOENT"


def test_socket_opened_before_capture_is_described_from_proc(capture: CaptureHarness) -> None:
    """A socket the capture never saw created (made before a fork, used by the child)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    since = capture.mark()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os,sys,time; os.dup2(int(sys.argv[1]), 1); time.sleep(0.5)",
            str(listener.fileno()),
        ],
        pass_fds=(listener.fileno(),),
    )
    assert proc.wait(30) == 0
    [dup] = child_docs(
        capture, (proc.pid, since), "dup2", lambda d: d["event"]["params"]["newfd"] == 1
    )
    listener.close()
    fd = dup["event"]["fd"]
    assert fd["type"] == "ipv4" and fd["proto"] == "tcp" and fd["local"]["port"] == port
