"""falcosecurity/event-generator for the peer tests: built once per machine, run contained.

The source is the unmodified snapshot in ``shared/peer/`` beside the project (the first ancestor
of the project root that has one), built by its ``build-event-generator.sh``. The binary is
cached under ``~/.cache/bpfopa/peer/`` keyed on a digest of the snapshot and the Go version, so
a machine builds it once.

Every action runs contained, as the issue asks:

- Host actions run in a network namespace of their own (``unshare --net``; the test moves in a
  veth to a second namespace that plays the rest of the world: 192.0.2.0/30, a default route
  through it, the hosts the actions name resolved to addresses on its loopback, and a listener
  on the ports they use). Nothing
  routes further. Their root is an overlay of ``/`` in a private mount namespace (fresh tmpfs
  ``/tmp`` and ``/dev``), so actions that rename ``/bin/true`` or write below ``/etc`` and ``/``
  change only the overlay's upper layer.
- Container actions (event-generator decides by being PID 1) run in a real Docker container
  (``--network none``), given the same veth to the "world" namespace during event-generator's
  ``--sleep`` before the action.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bpfopa._paths import PROJECT_ROOT
from tests.docker_engine import DockerEngine, EngineError, busybox_image
from tests.kernel.rules_harness import LiveRun, process_pids

BUILD_SCRIPT = "build-event-generator.sh"
CACHE_ROOT = Path.home() / ".cache" / "bpfopa" / "peer"

#: Where the actions' hosts resolve to (the "world" namespace's loopback), and the addresses
#: they dial directly, contained the same way. Every address or host name in the actions'
#: source must be here: ``unknown_targets`` checks that before anything runs.
HOSTS = {
    "example.com": "203.0.113.10",
    "example.net": "203.0.113.11",
    "my.http.proxy.com": "203.0.113.12",
    "localhost": "127.0.0.1",
}
WORLD_ADDRESSES = (
    *(a for a in HOSTS.values() if not a.startswith("127.")),
    "10.2.3.4",  # helper.NetworkActivity's UDP peer
    "169.254.169.254",  # the cloud metadata service
    "172.17.0.1",  # nmap's scan target on the host
)
#: Address ranges the actions name that are swept, not dialled one by one: nmap -sn over them
#: stays inside the namespace (no route beyond the "world" namespace).
SWEPT_NETWORKS = ("192.168.1.0/24",)
#: TCP ports the actions connect to: the listener accepts, writes an SSH banner and closes.
LISTEN_PORTS = (22, 80, 443)

LINK = ("192.0.2.1", "192.0.2.2")  # world side, action side; /30, one action at a time

_LISTENER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64); sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        try:
            conn.sendall(b"SSH-2.0-bpfopa-test\r\n")
        except OSError:
            pass
        conn.close()
"""

# Run by `sh -c` inside the action's network and private mount namespace: an overlay of / with
# the binary bound in, then event-generator chrooted into it.
_HOST_SANDBOX = r"""
set -e
base=$1 eg=$2 hosts=$3; shift 3
# The test moves a veth in and routes it (from outside: nothing here enters a namespace).
n=0
until ip route show default | grep -q via; do
    n=$((n + 1)); [ "$n" -lt 400 ] || { echo "no network after 20 s" >&2; exit 97; }
    sleep 0.05
done
mount -t tmpfs tmpfs "$base"
mkdir -p "$base/upper/etc" "$base/upper/opt/eg" "$base/work" "$base/merged"
cp "$hosts" "$base/upper/etc/hosts"
printf 'nameserver %s\n' 192.0.2.1 >"$base/upper/etc/resolv.conf"
m=$base/merged
mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$m"
touch "$m/opt/eg/event-generator"
mount --bind "$eg" "$m/opt/eg/event-generator"
mount --rbind /proc "$m/proc"
mount --rbind /sys "$m/sys"
mount -t tmpfs tmpfs "$m/dev"
for d in null zero random urandom full tty; do
    touch "$m/dev/$d"; mount --bind "/dev/$d" "$m/dev/$d"
done
mkdir "$m/dev/shm" "$m/dev/pts"
mount -t tmpfs tmpfs "$m/tmp"
exec chroot "$m" /usr/bin/env -i HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /opt/eg/event-generator run "$@"
"""


class PeerError(RuntimeError):
    """event-generator could not be found, built or run."""


def peer_dir(root: Path = PROJECT_ROOT) -> Path | None:
    """``shared/peer`` beside the project (``../shared/peer`` in CI), or None."""
    for parent in root.parents:
        candidate = parent / "shared" / "peer"
        if (candidate / BUILD_SCRIPT).is_file():
            return candidate
    return None


def source_key(peer: Path) -> str:
    """Digest of the snapshot, the build script and the Go toolchain that builds it."""
    digest = hashlib.sha256()
    for path in sorted(peer.rglob("*")):
        if path.is_file() and "bin" not in path.relative_to(peer).parts[:1]:
            digest.update(str(path.relative_to(peer)).encode() + b"\0")
            digest.update(path.read_bytes())
    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=True).stdout
    digest.update(go.encode())
    return digest.hexdigest()[:16]


def built_binary(peer: Path, cache_root: Path = CACHE_ROOT, timeout: float = 1800) -> Path:
    """The cached event-generator for this snapshot, built first when missing (under a lock,
    so concurrent sessions build it once)."""
    out = cache_root / f"event-generator-{source_key(peer)}" / "event-generator"
    if out.is_file():
        return out
    cache_root.mkdir(parents=True, exist_ok=True)
    with (cache_root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.is_file():
            return out
        partial = out.with_name(f".partial-{uuid.uuid4().hex[:8]}")
        proc = subprocess.run(
            ["bash", str(peer / BUILD_SCRIPT), str(partial)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cache_root,
        )
        if proc.returncode != 0:
            raise PeerError(f"{BUILD_SCRIPT} failed: {proc.stderr[-3000:]}")
        partial.rename(out)
    return out


def source_actions(peer: Path) -> list[str]:
    """The ``syscall.*`` actions the snapshot registers (``events.Register(Name``), read from
    its source so that the tests can be collected before the binary is built."""
    found: set[str] = set()
    for path in (peer / "event-generator" / "events" / "syscall").glob("*.go"):
        found.update(re.findall(r"events\.Register\(\s*([A-Za-z0-9]+)", path.read_text()))
    return sorted(f"syscall.{name}" for name in found)


def syscall_actions(binary: Path) -> list[str]:
    """Every ``syscall.*`` action, disabled ones included."""
    proc = subprocess.run(
        [str(binary), "list", "--all"], capture_output=True, text=True, check=True, timeout=60
    )
    return sorted(set(re.findall(r"\bsyscall\.[A-Za-z0-9]+\b", proc.stdout + proc.stderr)))


def normalised(text: str) -> str:
    """An action's name is its rule's title without spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


_LITERAL = re.compile(r'"([^"\n]*)"')
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?\b")
_IMPORT = re.compile(r"^[a-z0-9.-]+\.[a-z]+/[^ ]*$")  # a Go import path
_HOST = re.compile(r"(?:^|[@/\s])([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io))\b")


def unknown_targets(peer: Path) -> set[str]:
    """Addresses and host names in the actions' string literals that the sandbox does not
    contain (not in HOSTS, WORLD_ADDRESSES or SWEPT_NETWORKS)."""
    known = set(HOSTS) | set(WORLD_ADDRESSES) | set(SWEPT_NETWORKS)
    found: set[str] = set()
    for path in (peer / "event-generator" / "events").rglob("*.go"):
        if path.name.endswith("_test.go") or "k8saudit" in path.parts:
            continue
        for literal in _LITERAL.findall(path.read_text()):
            if _IMPORT.match(literal):
                continue
            for match in _IPV4.findall(literal):
                with contextlib.suppress(ValueError):
                    network = ipaddress.ip_network(match, strict=False)
                    single = network.prefixlen == network.max_prefixlen
                    found.add(str(network.network_address) if single else str(network))
            found.update(_HOST.findall(literal))
    return found - known


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise PeerError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


@dataclass
class World:
    """The namespace that plays the rest of the world, and the hosts file that points there."""

    world: str
    hosts_file: Path
    listener: subprocess.Popen[str]

    def attach(self, pid: int) -> None:
        """A veth from the world into the network namespace of process ``pid``, addressed and
        routed from outside it (a setns in the action's own process tree would raise an alert
        of its own: Change thread namespace)."""
        far, near = LINK
        tag = uuid.uuid4().hex[:6]
        _ip("-n", self.world, "link", "add", f"c{tag}", "type", "veth", "peer", "name", "eth0")
        _ip("-n", self.world, "link", "set", "eth0", "netns", str(pid))
        _ip("-n", self.world, "addr", "add", f"{far}/30", "dev", f"c{tag}")
        _ip("-n", self.world, "link", "set", f"c{tag}", "up")
        inside = ["nsenter", "-t", str(pid), "-n", "ip"]
        for args in (
            ["addr", "add", f"{near}/30", "dev", "eth0"],
            ["link", "set", "eth0", "up"],
            ["link", "set", "lo", "up"],
            ["route", "add", "default", "via", far],
        ):
            proc = subprocess.run([*inside, *args], capture_output=True, text=True, timeout=30)
            if proc.returncode != 0:
                raise PeerError(f"container {pid}: ip {' '.join(args)}: {proc.stderr.strip()}")

    def detach(self) -> None:
        """Removes the world side of the links (it may outlive the namespace it led into)."""
        proc = subprocess.run(
            ["ip", "-n", self.world, "-o", "link", "show"], capture_output=True, text=True
        )
        for name in re.findall(r"^\d+: (c[0-9a-f]{6})@", proc.stdout, re.M):
            subprocess.run(["ip", "-n", self.world, "link", "del", name], capture_output=True)


@contextlib.contextmanager
def world(workdir: Path) -> Iterator[World]:
    """The network namespaces, addresses and listener; all removed afterwards."""
    far_ns = f"bpfopa-egw-{uuid.uuid4().hex[:8]}"
    hosts_file = workdir / "hosts"
    hosts_file.write_text(
        "127.0.0.1 localhost\n"
        + "".join(f"{a} {h}\n" for h, a in HOSTS.items() if h != "localhost")
    )
    listener: subprocess.Popen[str] | None = None
    try:
        _ip("netns", "add", far_ns)
        _ip("-n", far_ns, "link", "set", "lo", "up")
        for address in WORLD_ADDRESSES:
            _ip("-n", far_ns, "addr", "add", f"{address}/32", "dev", "lo")
        listener = subprocess.Popen(
            ["ip", "netns", "exec", far_ns, "/usr/bin/python3", "-I", "-S", "-c", _LISTENER]
            + [str(p) for p in LISTEN_PORTS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert listener.stdout is not None
        if listener.stdout.readline().strip() != "ready":
            raise PeerError(
                f"listener did not start: {listener.stderr.read() if listener.stderr else ''}"
            )
        yield World(far_ns, hosts_file, listener)
    finally:
        if listener is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(listener.pid, signal.SIGKILL)
            listener.wait(10)
        subprocess.run(["ip", "netns", "del", far_ns], capture_output=True)


@dataclass(frozen=True)
class Outcome:
    """One action's run: the pid (host) or container id that its alerts carry."""

    pid: int | None
    container_id: str | None
    returncode: int
    output: str

    @property
    def skipped(self) -> str | None:
        """event-generator's reason when it skipped the action itself."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.output)
        match = re.search(r'action skipped.*?reason="?([^"\n]*)', text)
        return match.group(1).strip() if match else None


def run_on_host(
    binary: Path, net: World, action: str, scratch: Path, timeout: float = 60
) -> Outcome:
    """The action in the host sandbox (network namespace, overlay root)."""
    scratch.mkdir(parents=True, exist_ok=True)
    argv = [
        "unshare", "--net", "--mount", "--propagation", "private",
        "sh", "-c", _HOST_SANDBOX, "sh", str(scratch), str(binary), str(net.hosts_file),
        f"^{re.escape(action)}$", "--all", "--sleep", "0",
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for_netns(proc.pid)
        net.attach(proc.pid)
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    finally:
        net.detach()
    return Outcome(proc.pid, None, proc.returncode, out)


def _wait_for_netns(pid: int, timeout: float = 20) -> None:
    """Until process ``pid`` (unshare --net) is in a network namespace of its own."""
    mine = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/net") != mine:
                return
        time.sleep(0.02)
    raise PeerError(f"process {pid} did not enter a network namespace of its own")


def container_image(engine: DockerEngine, binary: Path, workdir: Path) -> str:
    """busybox + event-generator (+ capsh, debugfs and scp with their libraries, which some
    actions look for or run), built offline."""
    extra: dict[str, Path] = {"/event-generator": binary}
    for tool in ("capsh", "debugfs", "scp"):
        path = shutil.which(tool)
        if path is not None:
            extra[f"/usr/sbin/{tool}"] = Path(path)
            extra.update(_libraries(Path(path)))
    return busybox_image(engine, workdir, "bpfopa-test-event-generator", extra)


def _libraries(binary: Path) -> Mapping[str, Path]:
    proc = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    libs: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        match = re.search(r"(/\S+)\s+\(0x", line)
        if match:
            path = Path(match.group(1))
            libs[str(path)] = path.resolve()
    return libs


#: event-generator waits this long before the action: the container's veth is set up meanwhile.
CONTAINER_SLEEP_S = 3.0


def run_in_container(
    engine: DockerEngine,
    image: str,
    net: World,
    action: str,
    privileged: bool,
    timeout: float = 60,
) -> Outcome:
    """The action with event-generator as PID 1 of a real container."""
    args = ["create", "--network", "none"]
    for host, address in HOSTS.items():
        if host != "localhost":
            args += ["--add-host", f"{host}:{address}"]
    args += [image, "/event-generator", "run", f"^{re.escape(action)}$", "--all"]
    args += ["--sleep", f"{CONTAINER_SLEEP_S}s"]
    container = _started(engine, args, privileged)
    try:
        pid = int(engine.docker("inspect", "-f", "{{.State.Pid}}", container).stdout.strip())
        if pid:
            net.attach(pid)
        code = engine.docker("wait", container, timeout=timeout).stdout.strip()
        logs = engine.docker("logs", container, check=False)
        return Outcome(None, container, int(code or -1), logs.stdout + logs.stderr)
    finally:
        engine.remove(container)
        net.detach()


def _started(engine: DockerEngine, args: list[str], privileged: bool) -> str:
    """Creates and starts the container. A host whose bounding set lacks a capability (as in
    some CI sandboxes) cannot start ``--privileged`` ones: there CAP_SYS_ADMIN is added instead,
    which is what the privileged actions check for."""
    attempts = [["--privileged"], ["--cap-add", "SYS_ADMIN"]] if privileged else [[]]
    for n, extra in enumerate(attempts):
        container = engine.docker(args[0], *extra, *args[1:]).stdout.strip()
        try:
            engine.docker("start", container)
            return container
        except EngineError as exc:
            engine.remove(container)
            if n + 1 == len(attempts) or "unable to apply caps" not in str(exc):
                raise
    raise AssertionError("unreachable")


def barrier(live: LiveRun, timeout: float = 120) -> bool:
    """The pipeline has caught up with now once a canary started now alerted. A canary can be
    lost when the loaded host makes bpfopa drop events, so a new one is started every 5 s."""
    deadline = time.monotonic() + timeout
    canaries: set[int] = set()
    while time.monotonic() < deadline:
        canary = subprocess.Popen(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        canary.wait(10)
        canaries.add(canary.pid)
        retry = min(deadline, time.monotonic() + 5)
        while time.monotonic() < retry:
            if any(canaries & process_pids(a) for a in live.alerts()):
                time.sleep(0.3)  # unexpected extra alerts of the action show too
                return True
            time.sleep(0.05)
    return False
