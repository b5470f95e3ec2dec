"""``process.container`` from the engine's inspect answers (pure functions, no I/O).

The document shape is in docs/event-schema.md ("Containers"): every key is always present,
``null`` where the runtime did not say. Kubernetes pods run by the kubelet through a
Docker-API runtime (cri-dockerd) are recognised by the labels the kubelet puts on every
container, or failing those by its name scheme ``k8s_<container>_<pod>_<namespace>_<uid>_<n>``;
the pod's own labels live on its sandbox ("pause") container.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Final, Literal

__all__ = [
    "Metadata",
    "container_doc",
    "from_inspect",
    "image_names",
    "pod_labels",
    "pod_of",
    "sandbox_id",
]

Metadata = Literal["complete", "late", "unavailable"]
Doc = dict[str, Any]

POD_NAME: Final = "io.kubernetes.pod.name"
POD_NAMESPACE: Final = "io.kubernetes.pod.namespace"
POD_UID: Final = "io.kubernetes.pod.uid"
CONTAINER_NAME: Final = "io.kubernetes.container.name"
SANDBOX_ID: Final = "io.kubernetes.sandbox.id"
DOCKER_TYPE: Final = "io.kubernetes.docker.type"
# What the kubelet and cri-dockerd add to a sandbox's labels besides the pod's own; pod
# annotations ride along as "annotation.<key>" labels and are left out (they may hold
# anything, e.g. kubectl's last-applied configuration).
_KUBELET_LABELS: Final = frozenset({POD_NAME, POD_NAMESPACE, POD_UID, CONTAINER_NAME, DOCKER_TYPE})
_ANNOTATION_PREFIX: Final = "annotation."
_K8S_NAME: Final = re.compile(
    r"^/?k8s_(?P<container>[^_]+)_(?P<pod>[^_]+)_(?P<namespace>[^_]+)_(?P<uid>[^_]+)_\d+$"
)
_NO_TIME: Final = "0001-01-01T00:00:00Z"
_HEX: Final = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")


def container_doc(base: Doc, metadata: Metadata) -> Doc:
    """The shape with nothing known beyond the cgroup-derived id and runtime."""
    return {
        "id": base["id"],
        "full_id": base["full_id"],
        "runtime": base["runtime"],
        "name": None,
        "image": {"repository": None, "tag": None, "digest": None, "id": None},
        "labels": None,
        "privileged": None,
        "cap_add": None,
        "host_pid": None,
        "host_network": None,
        "host_ipc": None,
        "mounts": None,
        "user": None,
        "started_at": None,
        "init_pid": None,
        "pod": None,
        "metadata": metadata,
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _labels(config: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in _dict(config.get("Labels")).items()}


def image_names(reference: str | None, image: dict[str, Any] | None) -> Doc:
    """repository, tag and digest from the reference the container was created with, completed
    from the image's own tags and digests (``docker import``-ed images have no digest)."""
    image = image or {}
    repository = tag = digest = None
    ref = reference or ""
    if _HEX.match(ref):  # created from an image id: name it by its first tag, if any
        tags = [t for t in image.get("RepoTags") or [] if isinstance(t, str)]
        ref = tags[0] if tags else ""
    if ref:
        ref, _, digest_part = ref.partition("@")
        digest = digest_part or None
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon > slash:
            repository, tag = ref[:colon], ref[colon + 1 :]
        else:
            repository, tag = ref, ("latest" if digest is None else None)
    if digest is None and repository is not None:
        for entry in image.get("RepoDigests") or []:
            name, _, found = str(entry).partition("@")
            if name == repository and found:
                digest = found
                break
    return {"repository": repository, "tag": tag, "digest": digest}


def remember(cache: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
    """Put ``key`` in a bounded cache, the oldest entries going first past ``limit``."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def capability_name(name: str) -> str:
    """A capability as the kernel names it (engines accept "SYS_ADMIN" and "CAP_SYS_ADMIN")."""
    name = str(name).upper()
    return name if name.startswith("CAP_") or name == "ALL" else f"CAP_{name}"


def sandbox_id(inspect: dict[str, Any]) -> str | None:
    """The full id of the pod sandbox a kubelet-made container belongs to (itself for one)."""
    labels = _labels(_dict(inspect.get("Config")))
    if labels.get(DOCKER_TYPE) == "podsandbox":
        found = inspect.get("Id")
        return found if isinstance(found, str) else None
    return labels.get(SANDBOX_ID) or None


def pod_of(inspect: dict[str, Any]) -> Doc | None:
    """name, namespace and uid of the pod, from the kubelet's labels or its name scheme."""
    labels = _labels(_dict(inspect.get("Config")))
    if POD_NAME in labels:
        return {
            "name": labels[POD_NAME],
            "namespace": labels.get(POD_NAMESPACE),
            "uid": labels.get(POD_UID),
            "labels": None,
            "ip": None,
        }
    match = _K8S_NAME.match(str(inspect.get("Name") or ""))
    if match is None:
        return None
    return {
        "name": match["pod"],
        "namespace": match["namespace"],
        "uid": match["uid"],
        "labels": None,
        "ip": None,
    }


def pod_labels(sandbox: dict[str, Any]) -> dict[str, str]:
    """The pod's own labels, from its sandbox container."""
    return {
        k: v
        for k, v in _labels(_dict(sandbox.get("Config"))).items()
        if k not in _KUBELET_LABELS and not k.startswith(_ANNOTATION_PREFIX)
    }


def _pod_ip(sandbox: dict[str, Any]) -> str | None:
    settings = _dict(sandbox.get("NetworkSettings"))
    found = settings.get("IPAddress") or None
    if found is None:
        for network in _dict(settings.get("Networks")).values():
            found = _dict(network).get("IPAddress") or None
            if found:
                break
    return str(found) if found else None


def from_inspect(
    base: Doc,
    inspect: dict[str, Any],
    image: dict[str, Any] | None = None,
    sandbox: dict[str, Any] | None = None,
) -> Doc:
    """The complete ``process.container`` of ``base`` (the cgroup-derived id) from the
    engine's container inspect, its image's inspect and, for a pod, its sandbox's inspect."""
    config = _dict(inspect.get("Config"))
    host = _dict(inspect.get("HostConfig"))
    state = _dict(inspect.get("State"))
    doc = container_doc(base, "complete")
    image_id = inspect.get("Image")
    names = image_names(config.get("Image"), image)
    short_id = None
    if isinstance(image_id, str) and image_id:
        short_id = image_id.removeprefix("sha256:")[:12]
    started = state.get("StartedAt")
    doc.update(
        {
            "name": str(inspect.get("Name") or "").lstrip("/") or None,
            "image": {**names, "id": short_id},
            "labels": _labels(config),
            "privileged": bool(host.get("Privileged")),
            "cap_add": [capability_name(c) for c in host.get("CapAdd") or []],
            "host_pid": host.get("PidMode") == "host",
            "host_network": host.get("NetworkMode") == "host",
            "host_ipc": host.get("IpcMode") == "host",
            "mounts": [
                {
                    "source": m.get("Source"),
                    "destination": m.get("Destination"),
                    "rw": bool(m.get("RW")),
                }
                for m in inspect.get("Mounts") or []
                if isinstance(m, dict)
            ],
            "user": config.get("User") or None,
            "started_at": started if isinstance(started, str) and started != _NO_TIME else None,
            # Host pid of the container's first process (0 once it has stopped).
            "init_pid": state.get("Pid") or None,
        }
    )
    pod = pod_of(inspect)
    if pod is not None:
        if sandbox is not None:
            pod["labels"] = pod_labels(sandbox)
            pod["ip"] = _pod_ip(sandbox)
        doc["pod"] = pod
    return doc
