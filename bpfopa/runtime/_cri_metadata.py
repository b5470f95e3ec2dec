"""``process.container`` from a CRI runtime (containerd, CRI-O): same shape as the Docker path's.

The pod's identity comes from its sandbox's metadata (name, namespace, uid: what the kubelet
asked the runtime for, so authoritative), its labels from the sandbox's labels less the
kubelet's own ``io.kubernetes.*`` ones. Annotations are read by neither path: they may hold
anything (kubectl's last-applied configuration, tokens put there by mistake).

``privileged``, ``cap_add`` and ``init_pid`` are not in the CRI's status: they come from the
runtime's verbose ``info``, whose layout is the runtime's own. containerd puts the container's
CRI config there (its security context) and the first process's pid; CRI-O the pid and a
``privileged`` flag but not the added capabilities. What a runtime does not say stays ``null``.
Only those fields are read: the rest of ``info`` (the OCI spec, with the process's environment)
is never kept. Host namespaces are the pod's (its sandbox's namespace options).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bpfopa.errors import RuntimeApiError
from bpfopa.runtime._cri import CriClient
from bpfopa.runtime._criapi import api_pb2 as pb
from bpfopa.runtime._metadata import (
    POD_NAME,
    POD_NAMESPACE,
    POD_UID,
    capability_name,
    container_doc,
    image_names,
    remember,
)

__all__ = ["CriSource", "from_cri", "sandbox_doc"]

log = logging.getLogger(__name__)

Doc = dict[str, Any]

# The runtimes' names in Version, as the cgroup layouts name them too (decode/_container.py).
_RUNTIMES: Final[dict[str | None, str]] = {"containerd": "containerd", "cri-o": "cri-o"}
# The kubelet adds these to the pod's own labels on the sandbox (and to every container's).
_KUBELET_PREFIX: Final = "io.kubernetes."


def _time(nanoseconds: int) -> str | None:
    """RFC 3339 in UTC, as the Docker path's ``started_at`` (microseconds: Python's limit)."""
    if nanoseconds <= 0:
        return None
    seconds, rest = divmod(nanoseconds, 1_000_000_000)
    when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _image(status: pb.ContainerStatus, image: pb.Image | None) -> Doc:
    """repository/tag from the image the container was created with; digest and id from the
    image's reference (a digest, or for images never pulled, such as imported ones, its id)."""
    found = image_names(status.image.image or None, None)
    ref = status.image_ref
    image_id = status.image_id or (image.id if image is not None else "")
    if ref.startswith("sha256:"):
        image_id = image_id or ref
    elif "@" in ref and found["digest"] is None:
        found["digest"] = ref.partition("@")[2] or None
    if found["digest"] is None and image is not None and found["repository"] is not None:
        for entry in image.repo_digests:
            name, _, digest = entry.partition("@")
            if name == found["repository"] and digest:
                found["digest"] = digest
                break
    short = image_id.removeprefix("sha256:")[:12] or None
    return {**found, "id": short}


def _pod(sandbox: pb.PodSandboxStatus) -> Doc:
    meta = sandbox.metadata
    return {
        "name": meta.name or None,
        "namespace": meta.namespace or None,
        "uid": meta.uid or None,
        "labels": {k: v for k, v in sandbox.labels.items() if not k.startswith(_KUBELET_PREFIX)},
        # Host-network pods have no address of their own: the runtime reports none (the
        # kubelet shows the node's), and so does bpfopa (host_network says why).
        "ip": sandbox.network.ip or None,
    }


def _namespaces(doc: Doc, sandbox: pb.PodSandboxStatus) -> None:
    options = sandbox.linux.namespaces.options
    doc["host_pid"] = options.pid == pb.NODE
    doc["host_network"] = options.network == pb.NODE
    doc["host_ipc"] = options.ipc == pb.NODE


def _verbose(info: dict[str, str]) -> Doc:
    """``privileged``, ``cap_add`` and ``init_pid`` from the runtime's verbose info."""
    found: Doc = {}
    try:
        parsed = json.loads(info.get("info", "{}"))
    except ValueError:
        return found
    if not isinstance(parsed, dict):
        return found
    pid = parsed.get("pid")
    if isinstance(pid, int) and pid > 0:
        found["init_pid"] = pid
    if isinstance(parsed.get("config"), dict):  # containerd: the container's CRI config
        # Its JSON leaves out what is unset: no security context is an unprivileged container
        # that adds no capability.
        security = _path(parsed, "config", "linux", "security_context") or {}
        found["privileged"] = bool(_path(security, "privileged"))
        added = _path(security, "capabilities", "add_capabilities") or []
        if isinstance(added, list):
            found["cap_add"] = [capability_name(str(name)) for name in added]
    elif isinstance(parsed.get("privileged"), bool):  # CRI-O
        found["privileged"] = parsed["privileged"]
    return found


def _path(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _runtime(base: Doc, runtime_name: str | None) -> str:
    """The runtime that answered; the cgroup's guess when it names none bpfopa knows."""
    if runtime_name in _RUNTIMES:
        return _RUNTIMES[runtime_name]
    return str(base["runtime"])


def from_cri(
    base: Doc,
    runtime_name: str | None,
    status: pb.ContainerStatus,
    sandbox: pb.PodSandboxStatus | None,
    image: pb.Image | None = None,
    info: dict[str, str] | None = None,
) -> Doc:
    """The complete ``process.container`` of ``base`` from the CRI's container status, its
    pod sandbox's status and its image's status."""
    doc = container_doc(base, "complete")
    user = None
    if status.HasField("user") and status.user.HasField("linux"):
        user = f"{status.user.linux.uid}:{status.user.linux.gid}"
    doc.update(
        {
            "runtime": _runtime(base, runtime_name),
            "name": status.metadata.name or None,
            "image": _image(status, image),
            "labels": dict(status.labels),
            "mounts": [
                {"source": m.host_path, "destination": m.container_path, "rw": not m.readonly}
                for m in status.mounts
            ],
            "user": user,
            "started_at": _time(status.started_at),
            **_verbose(info or {}),
        }
    )
    if sandbox is not None:
        _namespaces(doc, sandbox)
        doc["pod"] = _pod(sandbox)
    elif POD_NAME in status.labels:  # the sandbox is gone already: the kubelet's labels
        doc["pod"] = {
            "name": status.labels[POD_NAME],
            "namespace": status.labels.get(POD_NAMESPACE),
            "uid": status.labels.get(POD_UID),
            "labels": None,
            "ip": None,
        }
    return doc


def sandbox_doc(base: Doc, runtime_name: str | None, sandbox: pb.PodSandboxStatus) -> Doc:
    """A pod sandbox's own process (containerd's "pause"), named after its pod as in Falco."""
    doc = container_doc(base, "complete")
    doc.update(
        {
            "runtime": _runtime(base, runtime_name),
            "name": sandbox.metadata.name or None,
            "labels": dict(sandbox.labels),
            "started_at": _time(sandbox.created_at),
        }
    )
    _namespaces(doc, sandbox)
    doc["pod"] = _pod(sandbox)
    return doc


class CriSource:
    """Container documents from one CRI runtime, with its sandboxes and images cached (many
    containers share a pod, many pods an image)."""

    def __init__(self, client: CriClient, max_entries: int = 4096) -> None:
        self.client = client
        self._max = max_entries
        self._sandboxes: OrderedDict[str, pb.PodSandboxStatus] = OrderedDict()
        self._images: OrderedDict[str, pb.Image | None] = OrderedDict()

    @property
    def socket(self) -> Path:
        return self.client.socket

    async def aclose(self) -> None:
        await self.client.aclose()

    async def removals(self) -> AsyncIterator[str]:
        """The runtime's removals (``CriClient.removals``); a removed sandbox is forgotten."""
        async for full_id in self.client.removals():
            self._sandboxes.pop(full_id, None)
            yield full_id

    async def describe(self, base: Doc) -> Doc | None:
        """The document, or None when this runtime knows no such container or sandbox."""
        full_id = base["full_id"]
        # A container's status does not name its pod sandbox; its listing entry does.
        described, sandbox_id = await asyncio.gather(
            self.client.container_status(full_id), self.client.sandbox_id_of(full_id)
        )
        if described is None:
            # Not a container: maybe a sandbox's own process (its id is the sandbox's).
            sandbox = await self._sandbox(full_id)
            if sandbox is None:
                return None
            return sandbox_doc(base, self.client.runtime_name, sandbox)
        status, info = described
        sandbox, image = await asyncio.gather(
            self._sandbox(sandbox_id) if sandbox_id else _none(),
            self._image(status.image_ref or status.image.image),
        )
        return from_cri(base, self.client.runtime_name, status, sandbox, image, info)

    async def _sandbox(self, sandbox_id: str) -> pb.PodSandboxStatus | None:
        if sandbox_id in self._sandboxes:
            self._sandboxes.move_to_end(sandbox_id)
            return self._sandboxes[sandbox_id]
        found = await self.client.sandbox_status(sandbox_id)
        if found is not None:  # an unknown one is asked again: it may be starting
            remember(self._sandboxes, sandbox_id, found, self._max)
        return found

    async def _image(self, ref: str) -> pb.Image | None:
        """The image's status; a failure costs its id and digest only, not the container's
        document (asked again for the next container of the image)."""
        if not ref:
            return None
        if ref not in self._images:
            try:
                found = await self.client.image_status(ref)
            except RuntimeApiError as exc:
                log.debug("image %s: %s", ref, exc)
                return None
            remember(self._images, ref, found, self._max)
        return self._images[ref]


async def _none() -> None:
    return None
