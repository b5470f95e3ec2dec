"""Container and pod metadata from containerd's CRI, with pods made the kubelet's way.

A containerd of the tests' own (tests/containerd_cri.py) runs host-network pods made with
`crictl runp` + `create` + `start`, as the kubelet makes them; bpfopa reads them through the
CRI only (`--runtime-socket` names containerd's socket, no Docker API involved).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bpfopa.decode import container_from_cgroups
from bpfopa.doctor import check_runtime
from bpfopa.runtime import ContainerMetadata
from tests.conftest import require
from tests.container.conftest import metadata
from tests.containerd_cri import Containerd, ContainerdError, Pod, running_containerd
from tests.docker_engine import DockerEngine
from tests.kernel.rules_harness import LiveRun, is_drop

Doc = dict[str, Any]
LABELS = {"app.kubernetes.io/name": "web", "tier": "front"}
SENSITIVE = "Read sensitive file untrusted"


@pytest.fixture(scope="module")
def containerd(docker_engine: DockerEngine) -> Iterator[Containerd]:
    try:
        with running_containerd(docker_engine) as ctd:
            yield ctd
    except ContainerdError as exc:
        require(False, str(exc))


def container_of(alert: Doc) -> str | None:
    """The full id of the container an alert was raised in."""
    container = alert.get("input", {}).get("process", {}).get("container")
    return container.get("full_id") if isinstance(container, dict) else None


def init_pid(ctd: Containerd, container_id: str) -> int:
    return int(ctd.crictl("inspect", "-o", "go-template", "--template", "{{.info.pid}}",
                          container_id))  # fmt: skip


def sandbox_pid(ctd: Containerd, pod: Pod) -> int:
    return int(ctd.crictl("inspectp", "-o", "go-template", "--template", "{{.info.pid}}",
                          pod.id))  # fmt: skip


def base_of(pid: int) -> Doc:
    """What the capture derives from the process's cgroup."""
    found = container_from_cgroups(Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    assert found is not None, f"pid {pid} is in no container's cgroup"
    return dict(found)


async def resolved(meta: ContainerMetadata, base: Doc) -> Doc:
    async with asyncio.timeout(10):
        while (doc := meta.lookup(base)) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    return doc


def test_container_and_pod_from_the_cri(
    containerd: Containerd, docker_engine: DockerEngine
) -> None:
    pod = containerd.run_pod(LABELS)
    try:
        cid = containerd.start_container(pod, "app", ["/bin/sleep", "300"])
        pid = init_pid(containerd, cid)
        base = base_of(pid)
        sandbox_base = base_of(sandbox_pid(containerd, pod))
        capable = containerd.start_container(
            pod,
            "capable",
            ["/bin/sleep", "300"],
            security_context={"capabilities": {"add_capabilities": ["SYS_ADMIN"]}},
        )
        capable_base = base_of(init_pid(containerd, capable))

        async def main() -> tuple[Doc, Doc, Doc, list[str]]:
            async with metadata(containerd.socket) as meta:
                meta.lookup(sandbox_base)
                return (
                    await resolved(meta, base),
                    await resolved(meta, sandbox_base),
                    await resolved(meta, capable_base),
                    meta.engines,
                )

        doc, sandbox, capable_doc, engines = asyncio.run(main())
    finally:
        containerd.remove_pod(pod)
    # The kubelet's cgroup_parent makes the cgroup read as containerd's, with the CRI's id.
    assert (base["runtime"], base["full_id"]) == ("containerd", cid)
    assert engines == [f"containerd {_version()} (CRI v1) at {containerd.socket}"]
    expected_pod = {
        "name": pod.name, "namespace": pod.namespace, "uid": pod.uid, "labels": LABELS, "ip": None,
    }  # fmt: skip
    assert doc["pod"] == expected_pod
    assert (doc["metadata"], doc["runtime"], doc["name"]) == ("complete", "containerd", "app")
    assert doc["labels"]["io.kubernetes.container.name"] == "app"
    repository, tag = containerd.image.rsplit(":", 1)
    assert (doc["image"]["repository"], doc["image"]["tag"]) == (repository, tag)
    # Imported, never pulled: no digest; its id is the one Docker gave it before the save.
    docker_ref = containerd.image.removeprefix("docker.io/library/")
    image_id = docker_engine.docker("image", "inspect", "-f", "{{.Id}}", docker_ref).stdout
    assert doc["image"]["id"] == image_id.strip().removeprefix("sha256:")[:12]
    assert doc["image"]["digest"] is None
    assert (doc["host_network"], doc["host_pid"], doc["host_ipc"]) == (True, False, False)
    assert doc["started_at"] and doc["started_at"].startswith("20")
    # From containerd's verbose info: its CRI config's security context and the first pid.
    assert (doc["privileged"], doc["cap_add"], doc["init_pid"]) == (False, [], pid)
    assert capable_doc["cap_add"] == ["CAP_SYS_ADMIN"] and capable_doc["name"] == "capable"
    # The sandbox's own process (pause) is named after its pod.
    assert sandbox["full_id"] == pod.id and sandbox["pod"] == expected_pod
    assert sandbox["name"] == pod.name


def _version() -> str:
    out = subprocess.run(["containerd", "--version"], capture_output=True, text=True).stdout
    return out.split()[2]


def test_removed_container_and_pod_are_evicted(containerd: Containerd) -> None:
    """containerd 1.6 has no container event stream: removals are found by listing."""
    pod = containerd.run_pod(LABELS)
    removed = False
    try:
        cid = containerd.start_container(pod, "app", ["/bin/sleep", "300"])
        base = base_of(init_pid(containerd, cid))
        sandbox_base = base_of(sandbox_pid(containerd, pod))

        async def wait_evicted(meta: ContainerMetadata, count: int) -> None:
            async with asyncio.timeout(10):
                while meta.counters["evicted_removed"] < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)

        async def main() -> ContainerMetadata:
            nonlocal removed
            async with metadata(containerd.socket, reconcile_s=0.2) as meta:
                await resolved(meta, base)
                await resolved(meta, sandbox_base)
                assert meta.lookup(base) is not None  # cached
                await asyncio.to_thread(containerd.remove_container, cid)
                await wait_evicted(meta, 1)
                assert meta.lookup(base) is None  # forgotten: asked again
                assert meta.lookup(sandbox_base) is not None  # its pod is still there
                await asyncio.to_thread(containerd.remove_pod, pod)
                removed = True
                await wait_evicted(meta, 2)
                assert meta.lookup(sandbox_base) is None
                return meta

        meta = asyncio.run(main())
    finally:
        if not removed:
            containerd.remove_pod(pod)
    assert meta.counters["complete"] == 2
    assert meta.counters["event_stream_errors"] == 0


def test_doctor_names_the_cri_runtime(containerd: Containerd) -> None:
    result = check_runtime([containerd.socket])
    assert result.ok, result
    assert result.detail == (
        f"container metadata from containerd {_version()} (CRI v1) at {containerd.socket}"
    )


def wait_for_read(run: LiveRun, cid: str, started: float) -> list[Doc]:
    """The alerts for the container's read, once the run has caught up with it (a canary
    run after the read has alerted) and the container's events could have waited for its
    metadata (the exec wait, 3 s); generous, the shared host is busy at times."""
    deadline = time.monotonic() + 120
    caught_up_at = None
    while time.monotonic() < deadline:
        alerts = [a for a in run.alerts() if a["rule"] == SENSITIVE and container_of(a) == cid]
        if alerts:
            return alerts
        # The read is 1 s after the start: the canary must come after it.
        if caught_up_at is None and time.monotonic() - started > 2 and run.barrier(5):
            caught_up_at = time.monotonic()
        if caught_up_at is not None and time.monotonic() - caught_up_at > 4:
            return []
        time.sleep(0.1)
    return []


def test_alert_in_a_cri_pod_names_the_pod(
    containerd: Containerd, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A real `bpfopa run` reading containerd's CRI: a pod's container reads /etc/shadow."""
    run = LiveRun(
        tmp_path_factory.mktemp("live-cri"),
        args=[
            "--runtime-socket", str(containerd.socket),
            "--alert-document", "full",
            "--container-exec-wait-ms", "3000",
        ],
    )  # fmt: skip
    pod = None
    try:
        run.wait_ready(timeout=240)
        pod = containerd.run_pod(LABELS)
        # bpfopa is ready first; the read comes a moment after the container's first exec,
        # whose metadata lookup the container stage waits for. Repeated (as the kubelet
        # restarts a container: the next attempt) only when bpfopa reported lost events
        # meanwhile: the shared host was too busy for the run to see the read.
        for attempt in range(3):
            mark = len(run.alerts())
            started = time.monotonic()
            cid = containerd.start_container(
                pod,
                "reader",
                ["/bin/sh", "-c", "sleep 1; cat /etc/shadow; exec sleep 300"],
                attempt=attempt,
            )
            alerts = wait_for_read(run, cid, started)
            drops = [a for a in run.alerts()[mark:] if is_drop(a)]
            if alerts or not drops:
                break
            warnings.warn(
                f"bpfopa lost events: repeating ({drops[-1].get('output')})", stacklevel=1
            )
    finally:
        if pod is not None:
            containerd.remove_pod(pod)
        code, err = run.stop()
    assert code == 0, err
    assert alerts, "no alert for the pod's read of /etc/shadow"
    alert = alerts[0]
    container = alert["input"]["process"]["container"]
    assert pod is not None
    assert container["pod"] == {
        "name": pod.name, "namespace": pod.namespace, "uid": pod.uid, "labels": LABELS, "ip": None,
    }  # fmt: skip
    assert (container["name"], container["runtime"]) == ("reader", "containerd")
    assert container["labels"]["io.kubernetes.container.name"] == "reader"
    fields = alert["output_fields"]
    assert (fields["k8s.pod.name"], fields["k8s.ns.name"]) == (pod.name, pod.namespace)
    assert fields["container.name"] == "reader"
