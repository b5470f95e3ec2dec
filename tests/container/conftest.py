"""The container group's images and engines: a test image with static helpers, and an engine
that can run `--privileged` containers on this host."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bpfopa.runtime import ContainerMetadata
from tests.conftest import require
from tests.docker_engine import (
    DockerEngine,
    EngineError,
    busybox_image,
    running_engine,
    static_binary,
)

BOUNDED_RUNC = Path(__file__).with_name("bounded_runc.py")

# One static program for the actions busybox cannot do exactly (a single syscall each), and,
# under any other name, a program that only exits 0 (nmap, apt-get, debugfs, ...: the rules
# look at what is executed, not at what it does).
ACT_SOURCE = r"""
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int inet(int type, const char *host, const char *port) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    inet_pton(AF_INET, host, &addr.sin_addr);
    int s = socket(AF_INET, type, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) return -1;
    return s;
}

int main(int argc, char **argv) {
    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];
    if (strcmp(self, "bpfopa-act") != 0 || argc < 2) return 0;
    const char *what = argv[1];
    if (!strcmp(what, "packet")) return socket(AF_PACKET, SOCK_RAW, 0) < 0;
    if (!strcmp(what, "create") && argc > 2) return open(argv[2], O_WRONLY | O_CREAT, 0600) < 0;
    if (argc < 4) return 2;
    if (!strcmp(what, "tcp")) return inet(SOCK_STREAM, argv[2], argv[3]) < 0;
    if (!strcmp(what, "udp")) return inet(SOCK_DGRAM, argv[2], argv[3]) < 0;
    if (!strcmp(what, "redirect")) {
        int s = inet(SOCK_STREAM, argv[2], argv[3]);
        return s < 0 || dup2(s, 1) < 0;
    }
    return 2;
}
"""
ACT = "/usr/bin/bpfopa-act"
#: Image paths of the helper under the names rules look for.
TOOLS = {
    "nmap": "/usr/bin/nmap",
    "nc": "/usr/local/bin/nc",
    "rsync": "/usr/bin/rsync",
    "apt-get": "/usr/bin/apt-get",
    "debugfs": "/sbin/debugfs",
}


@pytest.fixture(scope="session")
def act_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("gcc") is not None, "gcc is not installed (scripts/setup.sh)")
    return static_binary(ACT_SOURCE, tmp_path_factory.mktemp("act") / "bpfopa-act")


def _tool_image(engine: DockerEngine, workdir: Path, act: Path) -> str:
    extra = {ACT: act, **{path: act for path in TOOLS.values()}}
    return busybox_image(engine, workdir, "bpfopa-test-tools", extra)


@pytest.fixture(scope="session")
def tool_image(
    docker_engine: DockerEngine, act_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """busybox plus the static helper (as bpfopa-act and under the tools' names)."""
    return _tool_image(docker_engine, tmp_path_factory.mktemp("tools"), act_binary)


@pytest.fixture(scope="session")
def privileged_engine(
    docker_engine: DockerEngine,
    tool_image: str,
    act_binary: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DockerEngine]:
    """An engine whose `--privileged` containers start: the main one when they start there;
    otherwise (a host whose capability bounding set lacks some capability) a second engine
    started here with bounded_runc.py as its runtime."""
    probe = docker_engine.docker(
        "run", "--rm", "--privileged", "--network", "none", tool_image, "true", check=False
    )
    if probe.returncode == 0:
        yield docker_engine
        return
    if "unable to apply caps" not in probe.stderr:
        raise EngineError(f"docker run --privileged: {probe.stderr.strip()}")
    # Short: containerd's socket lands under the exec root and must fit a sockaddr_un.
    workdir = Path(tempfile.mkdtemp(prefix="bpfopa-pd-", dir="/tmp"))
    args = [
        "--data-root",
        str(workdir / "data"),
        "--exec-root",
        str(workdir / "exec"),
        "--add-runtime",
        f"bounded-runc={BOUNDED_RUNC}",
        "--default-runtime",
        "bounded-runc",
    ]
    try:
        with running_engine(workdir, workdir / "docker.sock", args) as engine:
            _tool_image(engine, tmp_path_factory.mktemp("tools-privileged"), act_binary)
            yield engine
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- pods as the kubelet creates them through cri-dockerd ----------------------------------


def _label_options(labels: dict[str, str]) -> list[str]:
    return [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]


def kubelet_sandbox(
    engine: DockerEngine, image: str, labels: dict[str, str]
) -> tuple[dict[str, str], str]:
    """A running pod sandbox ("pause") container, named and labelled as cri-dockerd does:
    the pod's labels, the kubelet's identity labels, annotations as "annotation." labels.
    Returns the pod's identity (name, namespace, uid) and the sandbox's full id."""
    pod = {"name": f"web-{uuid.uuid4().hex[:6]}", "namespace": "shop", "uid": str(uuid.uuid4())}
    sandbox = engine.docker(
        "run",
        "-d",
        "--name",
        f"k8s_POD_{pod['name']}_{pod['namespace']}_{pod['uid']}_0",
        "--network",
        "none",
        *_label_options(
            {
                **labels,
                "io.kubernetes.pod.name": pod["name"],
                "io.kubernetes.pod.namespace": pod["namespace"],
                "io.kubernetes.pod.uid": pod["uid"],
                "io.kubernetes.docker.type": "podsandbox",
                "annotation.kubernetes.io/config.source": "api",
            }
        ),
        image,
        "sleep",
        "300",
    ).stdout.strip()
    return pod, sandbox


def kubelet_container(pod: dict[str, str], container: str, sandbox: str) -> list[str]:
    """`docker create` options for a container of the pod, as cri-dockerd makes it (it joins
    the sandbox's network namespace)."""
    return [
        "--name",
        f"k8s_{container}_{pod['name']}_{pod['namespace']}_{pod['uid']}_0",
        "--network",
        f"container:{sandbox}",
        *_label_options(
            {
                "io.kubernetes.pod.name": pod["name"],
                "io.kubernetes.pod.namespace": pod["namespace"],
                "io.kubernetes.pod.uid": pod["uid"],
                "io.kubernetes.container.name": container,
                "io.kubernetes.docker.type": "container",
                "io.kubernetes.sandbox.id": sandbox,
            }
        ),
    ]


@contextlib.asynccontextmanager
async def metadata(*sockets: Path, **kwargs: Any) -> AsyncIterator[ContainerMetadata]:
    """A started ``ContainerMetadata`` over ``sockets``, closed on the way out."""
    found = ContainerMetadata(sockets, **kwargs)
    await found.start()
    try:
        yield found
    finally:
        await found.aclose()
