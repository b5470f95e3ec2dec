"""A containerd of the tests' own, driven through its CRI the way the kubelet drives it (crictl).

Its config, root, state and socket live in a temporary directory: the host's /run/containerd
and Docker's containerd are never touched. ``restrict_oom_score_adj`` lets pod sandboxes start
on hosts whose capability bounding set lacks CAP_SYS_RESOURCE (docs/setup.md); the sandbox
("pause") image is a busybox image made offline whose command is a long sleep, moved from the
Docker engine with ``docker save | ctr images import``. Pods use the host's network (no CNI)
and a ``cgroup_parent`` under ``kubepods`` as the kubelet's cgroupfs driver gives them.

On the way out everything started is undone, in order: pods removed (their containers with
them), containerd stopped, its shims killed, its mounts unmounted, the pods' cgroups removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfopa._paths import PROJECT_ROOT
from tests.docker_engine import (
    DockerEngine,
    EngineError,
    busybox_rootfs,
    stop_process_group,
    tree_digest,
)

CRICTL = PROJECT_ROOT / ".bin" / "crictl"
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Plugins that would probe host storage or open more sockets, none of them needed here.
_DISABLED = [
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.tracing.processor.v1.otlp",
    "io.containerd.internal.v1.tracing",
]
CONFIG = """version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = {disabled}
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{work}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{work}/cni/bin"
    conf_dir = "{work}/cni/conf"
"""


class ContainerdError(RuntimeError):
    """containerd or crictl failed."""


@dataclass
class Pod:
    id: str
    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    config: Path


@dataclass
class Containerd:
    """A running containerd of the tests'; ``image`` is the busybox (and pause) image."""

    workdir: Path
    socket: Path
    image: str
    proc: subprocess.Popen[bytes] | None = None
    cgroups: list[str] = field(default_factory=list)

    def _run(self, argv: list[str], stdin: bytes | None = None) -> str:
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=120)
        if proc.returncode != 0:
            raise ContainerdError(f"{' '.join(argv[:4])}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode().strip()

    def crictl(self, *args: str) -> str:
        return self._run([str(CRICTL), "--config", str(self.workdir / "crictl.yaml"), *args])

    def ctr(self, *args: str, stdin: bytes | None = None) -> str:
        return self._run(["ctr", "--address", str(self.socket), "-n", "k8s.io", *args], stdin)

    def run_pod(self, labels: Mapping[str, str], namespace: str = "shop") -> Pod:
        """``crictl runp``: a host-network pod, labelled as the kubelet labels a sandbox."""
        name, uid = f"web-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
        parent = f"/kubepods/besteffort/pod{uid}"
        self.cgroups.append(parent)
        config = self.workdir / f"pod-{uid}.json"
        kubelet = {
            "io.kubernetes.pod.name": name,
            "io.kubernetes.pod.namespace": namespace,
            "io.kubernetes.pod.uid": uid,
        }
        spec: dict[str, Any] = {
            "metadata": {"name": name, "namespace": namespace, "uid": uid, "attempt": 0},
            "log_directory": str(self.workdir / "logs" / uid),
            "labels": {**labels, **kubelet},
            "annotations": {"kubernetes.io/config.source": "api"},
            # network 2 = NODE (host network): no hostname of its own, as the kubelet does.
            "linux": {
                "cgroup_parent": parent,
                "security_context": {"namespace_options": {"network": 2}},
            },
        }
        config.write_text(json.dumps(spec))
        pod_id = self.crictl("runp", str(config))
        return Pod(pod_id, name, namespace, uid, dict(labels), config)

    def start_container(
        self,
        pod: Pod,
        name: str,
        argv: list[str],
        attempt: int = 0,
        security_context: Mapping[str, Any] | None = None,
    ) -> str:
        """``crictl create`` + ``start``: labels and metadata as the kubelet sets them
        (``attempt``: the kubelet's restart count, which tells a restarted container apart;
        ``security_context``: the container's, as the kubelet translates the pod spec's)."""
        config = self.workdir / f"ctr-{pod.uid}-{name}-{attempt}.json"
        spec = {
            "metadata": {"name": name, "attempt": attempt},
            "image": {"image": self.image},
            "command": argv,
            "labels": {
                "io.kubernetes.container.name": name,
                "io.kubernetes.pod.name": pod.name,
                "io.kubernetes.pod.namespace": pod.namespace,
                "io.kubernetes.pod.uid": pod.uid,
            },
            "annotations": {"io.kubernetes.container.restartCount": str(attempt)},
            "log_path": f"{name}/{attempt}.log",
            "linux": {"security_context": dict(security_context)} if security_context else {},
        }
        config.write_text(json.dumps(spec))
        container_id = self.crictl("create", pod.id, str(config), str(pod.config))
        self.crictl("start", container_id)
        return container_id

    def remove_pod(self, pod: Pod) -> None:
        self.crictl("stopp", pod.id)
        self.crictl("rmp", pod.id)

    def remove_container(self, container_id: str) -> None:
        self.crictl("rm", "--force", container_id)


def pause_image(engine: DockerEngine, workdir: Path) -> tuple[str, bytes]:
    """A busybox image whose command sleeps for good, as ``docker save`` output; with an
    /etc/shadow for the containers' sensitive read."""
    shadow = workdir / "shadow"
    shadow.write_text("root:*:19000:0:99999:7:::\n")
    rootfs = busybox_rootfs(workdir / "pause-rootfs", {"/etc/shadow": shadow})
    ref = f"bpfopa-test-pause:{tree_digest(rootfs)}"
    if not engine.has_image(ref):
        engine.import_rootfs(rootfs, ref, changes=['CMD ["/bin/sleep", "2147483647"]'])
    saved = subprocess.run(
        ["docker", "save", ref], env=engine.env, capture_output=True, timeout=120, check=True
    )
    return f"docker.io/library/{ref}", saved.stdout


def _mounts_under(root: Path) -> list[str]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == str(root) or point.startswith(f"{root}/"):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def _shims_of(socket: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if argv[0].endswith(b"containerd-shim-runc-v2") and str(socket).encode() in argv:
                pids.append(int(proc.name))
    return pids


def _remove_cgroups(parents: list[str], existed: set[Path]) -> None:
    """The pods' cgroups, and the kubepods levels above them when this run made them. A
    process still in one (its shim was killed) is killed first."""
    for parent in parents:
        tasks = CGROUP_ROOT / "pids" / parent.lstrip("/")
        if not tasks.exists():
            tasks = CGROUP_ROOT / parent.lstrip("/")  # cgroup v2
        for procs in tasks.rglob("cgroup.procs") if tasks.exists() else ():
            for pid in procs.read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
    if parents:
        time.sleep(0.2)  # the killed leave their cgroups asynchronously
    for controller in _hierarchies():
        for parent in parents:
            path = controller / parent.lstrip("/")
            # The containers' own cgroups first (containerd removes them, unless it died).
            for below, _, _ in os.walk(path, topdown=False) if path.is_dir() else ():
                if below != str(path):
                    with contextlib.suppress(OSError):
                        os.rmdir(below)
            while path != controller and path not in existed:
                with contextlib.suppress(OSError):
                    path.rmdir()
                path = path.parent


def _hierarchies() -> list[Path]:
    """cgroup v1's controller hierarchies, or v2's single one."""
    return [CGROUP_ROOT, *(d for d in CGROUP_ROOT.iterdir() if d.is_dir())]


@contextlib.contextmanager
def running_containerd(engine: DockerEngine) -> Iterator[Containerd]:
    """A containerd started here with the pause image imported; all undone on the way out."""
    if shutil.which("containerd") is None or shutil.which("ctr") is None:
        raise ContainerdError("containerd missing (scripts/setup.sh installs it)")
    if not CRICTL.exists():
        raise ContainerdError(f"{CRICTL} missing (scripts/setup.sh builds it)")
    # Short: the socket path must fit a sockaddr_un (108 bytes).
    workdir = Path(tempfile.mkdtemp(prefix="bpfopa-ctd-", dir="/tmp"))
    socket = workdir / "containerd.sock"
    existed = {
        path
        for controller in _hierarchies()
        for path in (controller / "kubepods", controller / "kubepods" / "besteffort")
        if path.exists()
    }
    try:
        image, saved = pause_image(engine, workdir)
    except (EngineError, subprocess.SubprocessError) as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ContainerdError(f"pause image: {exc}") from exc
    (workdir / "config.toml").write_text(
        CONFIG.format(work=workdir, socket=socket, pause=image, disabled=json.dumps(_DISABLED))
    )
    (workdir / "crictl.yaml").write_text(
        f"runtime-endpoint: unix://{socket}\nimage-endpoint: unix://{socket}\ntimeout: 30\n"
    )
    ctd = Containerd(workdir, socket, image)
    log_path = workdir / "containerd.log"
    try:
        with log_path.open("wb") as log:
            ctd.proc = subprocess.Popen(
                ["containerd", "--config", str(workdir / "config.toml")],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                ctd.ctr("version")
                break
            except ContainerdError:
                if ctd.proc.poll() is not None or time.monotonic() > deadline:
                    raise ContainerdError(
                        "containerd did not start: " + log_path.read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.2)
        ctd.ctr("images", "import", "-", stdin=saved)
        yield ctd
    finally:
        if ctd.proc is not None and ctd.proc.poll() is None:
            with contextlib.suppress(ContainerdError, subprocess.SubprocessError):
                ctd.crictl("rmp", "--all", "--force")
            stop_process_group(ctd.proc, timeout=20)
        for pid in _shims_of(socket):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for point in _mounts_under(workdir):
            subprocess.run(["umount", "-l", point], check=False, capture_output=True)
        _remove_cgroups(ctd.cgroups, existed)
        shutil.rmtree(workdir, ignore_errors=True)
