"""The CRI answers turned into process.container: the same shape as the Docker path's
(rules and policies/fields.json read both), from CRI messages built here (pure logic; the live
runtime is tests/container/test_cri_metadata.py)."""

from __future__ import annotations

import json
from typing import Any

from bpfopa.runtime._cri_metadata import from_cri, sandbox_doc
from bpfopa.runtime._criapi import api_pb2 as pb
from bpfopa.runtime._metadata import container_doc

FULL_ID = "ab" * 32
BASE: dict[str, Any] = {"id": FULL_ID[:12], "full_id": FULL_ID, "runtime": "containerd"}
KUBELET = {
    "io.kubernetes.pod.name": "api-0",
    "io.kubernetes.pod.namespace": "prod",
    "io.kubernetes.pod.uid": "7f1e",
}


def sandbox(ip: str = "", network: int = pb.POD) -> pb.PodSandboxStatus:
    return pb.PodSandboxStatus(
        id="cd" * 32,
        metadata=pb.PodSandboxMetadata(name="api-0", namespace="prod", uid="7f1e"),
        created_at=1_796_317_938_151_114_072,
        network=pb.PodSandboxNetworkStatus(ip=ip),
        linux=pb.LinuxPodSandboxStatus(
            namespaces=pb.Namespace(
                options=pb.NamespaceOption(network=network, pid=pb.CONTAINER, ipc=pb.POD)
            )
        ),
        labels={**KUBELET, "app": "api"},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
    )


def status(**fields: Any) -> pb.ContainerStatus:
    defaults: dict[str, Any] = {
        "id": FULL_ID,
        "metadata": pb.ContainerMetadata(name="app"),
        "started_at": 1_796_317_938_440_104_342,
        "image": pb.ImageSpec(image="registry.example/team/api:1.4"),
        "image_ref": "registry.example/team/api@sha256:" + "ef" * 32,
        "labels": {**KUBELET, "io.kubernetes.container.name": "app"},
        "mounts": [pb.Mount(container_path="/data", host_path="/srv/data", readonly=True)],
    }
    return pb.ContainerStatus(**{**defaults, **fields})


def test_same_keys_as_the_docker_path() -> None:
    doc = from_cri(BASE, "containerd", status(), sandbox())
    assert doc.keys() == container_doc(BASE, "complete").keys()
    assert doc["pod"].keys() == {"name", "namespace", "uid", "labels", "ip"}


def test_container_fields() -> None:
    image = pb.Image(id="sha256:" + "12" * 32, repo_digests=[])
    doc = from_cri(BASE, "containerd", status(), sandbox(ip="10.1.2.3"), image)
    assert (doc["metadata"], doc["runtime"], doc["name"]) == ("complete", "containerd", "app")
    assert doc["image"] == {
        "repository": "registry.example/team/api",
        "tag": "1.4",
        "digest": "sha256:" + "ef" * 32,
        "id": "12" * 6,
    }
    assert doc["labels"]["io.kubernetes.container.name"] == "app"
    assert doc["mounts"] == [{"source": "/srv/data", "destination": "/data", "rw": False}]
    assert doc["started_at"] == "2026-12-03T17:12:18.440104Z"
    assert (doc["host_network"], doc["host_pid"], doc["host_ipc"]) == (False, False, False)
    # The pod: identity from the sandbox's metadata, labels without the kubelet's, no
    # annotations anywhere.
    assert doc["pod"] == {
        "name": "api-0",
        "namespace": "prod",
        "uid": "7f1e",
        "labels": {"app": "api"},
        "ip": "10.1.2.3",
    }
    assert "last-applied" not in str(doc)


def test_host_network_pod_has_no_ip_of_its_own() -> None:
    doc = from_cri(BASE, "containerd", status(), sandbox(network=pb.NODE))
    assert doc["host_network"] is True
    assert doc["pod"]["ip"] is None


def test_image_never_pulled_is_named_by_its_id() -> None:
    doc = from_cri(BASE, "cri-o", status(image_ref="sha256:" + "34" * 32), sandbox())
    assert doc["image"]["digest"] is None and doc["image"]["id"] == "34" * 6
    assert doc["runtime"] == "cri-o"


def test_unknown_runtime_name_keeps_the_cgroups() -> None:
    assert from_cri(BASE, "other", status(), None)["runtime"] == "containerd"


def test_sandbox_gone_pod_from_the_kubelets_labels() -> None:
    doc = from_cri(BASE, "containerd", status(), None)
    assert doc["pod"] == {
        "name": "api-0",
        "namespace": "prod",
        "uid": "7f1e",
        "labels": None,
        "ip": None,
    }
    assert doc["host_network"] is None


def test_container_not_made_by_a_kubelet_has_no_pod() -> None:
    doc = from_cri(BASE, "containerd", status(labels={}, started_at=0), None)
    assert doc["pod"] is None and doc["started_at"] is None


def test_user_when_the_runtime_reports_it() -> None:
    user = pb.ContainerUser(linux=pb.LinuxContainerUser(uid=1000, gid=100))
    assert from_cri(BASE, "containerd", status(user=user), None)["user"] == "1000:100"
    assert from_cri(BASE, "containerd", status(), None)["user"] is None


def test_a_sandbox_process_is_named_after_its_pod() -> None:
    doc = sandbox_doc(BASE, "containerd", sandbox())
    assert doc["name"] == "api-0" and doc["pod"]["labels"] == {"app": "api"}
    assert doc["started_at"] == "2026-12-03T17:12:18.151114Z"


def test_verbose_info_of_containerd_and_cri_o() -> None:
    containerd = {
        "info": json.dumps(
            {
                "pid": 4242,
                "config": {
                    "linux": {
                        "security_context": {
                            "privileged": True,
                            "capabilities": {"add_capabilities": ["NET_ADMIN", "CAP_SYS_PTRACE"]},
                        }
                    }
                },
                "runtimeSpec": {"process": {"env": ["TOKEN=never-kept"]}},
            }
        )
    }
    doc = from_cri(BASE, "containerd", status(), None, info=containerd)
    assert (doc["privileged"], doc["cap_add"], doc["init_pid"]) == (
        True,
        ["CAP_NET_ADMIN", "CAP_SYS_PTRACE"],
        4242,
    )
    assert "never-kept" not in json.dumps(doc)
    unset = {"info": json.dumps({"pid": 5, "config": {"metadata": {"name": "app"}}})}
    doc = from_cri(BASE, "containerd", status(), None, info=unset)
    assert (doc["privileged"], doc["cap_add"], doc["init_pid"]) == (False, [], 5)
    cri_o = {"info": json.dumps({"pid": 77, "privileged": False})}
    doc = from_cri(BASE, "cri-o", status(), None, info=cri_o)
    assert (doc["privileged"], doc["cap_add"], doc["init_pid"]) == (False, None, 77)
    for broken in ({"info": "{not json"}, {"info": "[1]"}, {}, {"info": '{"pid": "x"}'}):
        doc = from_cri(BASE, "containerd", status(), None, info=broken)
        assert (doc["privileged"], doc["cap_add"], doc["init_pid"]) == (None, None, None)
