"""A real Docker engine for the tests, and images built offline.

The engine is the host's dockerd when one answers on the default socket; otherwise the session
starts one (``--bridge=none --iptables=false``: the tests use ``--network host`` or
``--network none`` only) and stops it at the end. No registry is reachable, so images are made
from a directory tree with ``docker import``: a static busybox (Debian's ``busybox-static``) plus
whatever static helpers a test compiles with ``gcc -static``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DOCKER_SOCKET = Path("/var/run/docker.sock")
BUSYBOX = Path("/bin/busybox")


class EngineError(RuntimeError):
    """The Docker engine could not be reached or started."""


@dataclass(frozen=True)
class DockerEngine:
    """A Docker engine that answers on ``socket``."""

    socket: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Runs the docker CLI against this engine; raises with its stderr on failure."""
        proc = subprocess.run(
            ["docker", *args],
            env=self.env,
            input=stdin.decode() if stdin is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise EngineError(f"docker {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    def has_image(self, ref: str) -> bool:
        return self.docker("image", "inspect", ref, check=False).returncode == 0

    def import_rootfs(self, rootfs: Path, ref: str, changes: Sequence[str] = ()) -> str:
        """``tar -C rootfs -c . | docker import - ref``; returns the image id."""
        args = ["docker", "import"]
        for change in changes:
            args += ["--change", change]
        args += ["-", ref]
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
            proc = subprocess.run(
                args, env=self.env, stdin=tar.stdout, capture_output=True, text=True, timeout=600
            )
        if proc.returncode != 0:
            raise EngineError(f"docker import {ref}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def remove(self, *containers: str) -> None:
        if containers:
            self.docker("rm", "-f", *containers, check=False)


def answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    proc = subprocess.run(
        ["docker", "-H", f"unix://{socket}", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return proc.returncode == 0


@contextlib.contextmanager
def running_engine(
    workdir: Path, socket: Path = DOCKER_SOCKET, extra_args: Sequence[str] = ()
) -> Iterator[DockerEngine]:
    """The engine on ``socket``: the one already there, or one started here (with
    ``extra_args``) and stopped after."""
    if shutil.which("docker") is None or shutil.which("dockerd") is None:
        raise EngineError("docker/dockerd not installed (scripts/setup.sh installs docker.io)")
    if answers(socket):
        yield DockerEngine(socket)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "dockerd.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                "dockerd",
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "--host",
                f"unix://{socket}",
                "--pidfile",
                str(workdir / "dockerd.pid"),
                *extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not answers(socket):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise EngineError(
                    f"dockerd did not start: {log_path.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.3)
        yield DockerEngine(socket)
    finally:
        stop_process_group(proc, timeout=30)


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to a daemon started in a session of its own and its children; SIGKILL if it has
    not ended within ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def busybox_rootfs(rootfs: Path, extra: Mapping[str, Path] = {}) -> Path:
    """A minimal root filesystem: static busybox with its applets linked, plus ``extra`` files
    (destination path inside the image -> file on the host, copied executable)."""
    bindir = rootfs / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for sub in ("etc", "tmp", "proc", "sys", "dev", "root", "usr/bin", "sbin", "usr/sbin"):
        (rootfs / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, bindir / "busybox")
    applets = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    for applet in applets:
        link = bindir / applet
        if not link.exists():
            link.symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")
    for dest, src in extra.items():
        target = rootfs / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        target.chmod(0o755)
    return rootfs


def tree_digest(rootfs: Path) -> str:
    """A short content digest of a tree, to tag images so a changed tree gets a new image."""
    digest = hashlib.sha256()
    for path in sorted(rootfs.rglob("*")):
        digest.update(str(path.relative_to(rootfs)).encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def busybox_image(
    engine: DockerEngine, workdir: Path, name: str, extra: Mapping[str, Path] = {}
) -> str:
    """``name:<digest>`` built offline from busybox plus ``extra``; reused when present."""
    rootfs = busybox_rootfs(workdir / f"{name}-rootfs", extra)
    ref = f"{name}:{tree_digest(rootfs)}"
    if not engine.has_image(ref):
        engine.import_rootfs(rootfs, ref, changes=['CMD ["/bin/sh"]'])
    return ref


def static_binary(source: str, out: Path) -> Path:
    """Compiles a C source (text) with ``gcc -static`` into ``out``."""
    src = out.with_suffix(".c")
    src.write_text(source)
    subprocess.run(["gcc", "-static", "-O2", "-o", str(out), str(src)], check=True)
    return out
