"""A Kubernetes CRI client (containerd, CRI-O) over gRPC on the runtime's unix socket.

Only what the container metadata needs, with the stubs generated from the CRI's api.proto
(bpfopa/runtime/_criapi): ``Version``, ``ContainerStatus``, ``PodSandboxStatus``,
``ImageStatus``, and the containers' removals. Every call has a deadline; every failure
surfaces as :class:`RuntimeApiError`, and NOT_FOUND as None (another runtime's container, or
gone).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Final

import grpc
import grpc.aio

from bpfopa.errors import RuntimeApiError
from bpfopa.runtime._criapi import api_pb2 as pb
from bpfopa.runtime._criapi import api_pb2_grpc

__all__ = ["CriClient"]

# The kubelet's own limit: a ListContainers answer on a busy node outgrows gRPC's 4 MiB default.
_MAX_MESSAGE: Final = 16 * 1024 * 1024


@contextlib.contextmanager
def _mapped(socket: Path, what: str) -> Iterator[None]:
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        raise RuntimeApiError(f"{socket}: {what}: {exc.code().name}: {exc.details()}") from exc
    except (grpc.RpcError, OSError, ValueError) as exc:
        raise RuntimeApiError(f"{socket}: {what}: {str(exc) or type(exc).__name__}") from exc


def _not_found(exc: grpc.aio.AioRpcError) -> bool:
    return exc.code() == grpc.StatusCode.NOT_FOUND


class CriClient:
    """One CRI socket.

    ``removals()`` yields the full ids of containers and pod sandboxes as they go: from the
    runtime's container event stream where it has one (containerd >= 1.7, CRI-O), or else
    (containerd 1.6 answers UNIMPLEMENTED) from a ``ListContainers`` + ``ListPodSandbox`` every
    ``reconcile_s``: what was listed, or described here, before and is no longer listed.
    """

    def __init__(self, socket: Path, timeout_s: float = 5.0, reconcile_s: float = 10.0) -> None:
        self.socket = socket
        self.reconcile_s = reconcile_s
        self._timeout = timeout_s
        self._channel: grpc.aio.Channel | None = None
        self._runtime: Any = None
        self._images: Any = None
        #: The runtime's name as it says it ("containerd", "cri-o"), once ``ping`` answered.
        self.runtime_name: str | None = None
        # Ids described since the last listing: a container that comes and goes between two
        # listings is evicted all the same.
        self._described: set[str] = set()

    def _stubs(self) -> tuple[Any, Any]:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(
                f"unix://{self.socket}",
                options=[("grpc.max_receive_message_length", _MAX_MESSAGE)],
            )
            self._runtime = api_pb2_grpc.RuntimeServiceStub(self._channel)
            self._images = api_pb2_grpc.ImageServiceStub(self._channel)
        return self._runtime, self._images

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def ping(self) -> str:
        """The runtime's name and version, e.g. "containerd 1.6.20~ds1 (CRI v1)"."""
        runtime, _ = self._stubs()
        with _mapped(self.socket, "CRI Version"):
            answer = await runtime.Version(pb.VersionRequest(version="v1"), timeout=self._timeout)
        name = str(answer.runtime_name)
        if not name:
            raise RuntimeApiError(f"{self.socket}: CRI Version: no runtime name")
        self.runtime_name = name
        return f"{name} {answer.runtime_version} (CRI {answer.runtime_api_version})"

    async def container_status(
        self, container_id: str
    ) -> tuple[pb.ContainerStatus, dict[str, str]] | None:
        """The container's status, and the runtime's own verbose ``info`` (JSON strings by
        key; what containerd and CRI-O put there differs)."""
        runtime, _ = self._stubs()
        request = pb.ContainerStatusRequest(container_id=container_id, verbose=True)
        answer = await self._status(
            "ContainerStatus", runtime.ContainerStatus, request, container_id
        )
        if answer is None:
            return None
        status: pb.ContainerStatus = answer.status
        return status, dict(answer.info)

    async def sandbox_status(self, sandbox_id: str) -> pb.PodSandboxStatus | None:
        runtime, _ = self._stubs()
        request = pb.PodSandboxStatusRequest(pod_sandbox_id=sandbox_id, verbose=False)
        answer = await self._status(
            "PodSandboxStatus", runtime.PodSandboxStatus, request, sandbox_id
        )
        status: pb.PodSandboxStatus | None = answer.status if answer is not None else None
        return status

    async def _status(self, what: str, call: Any, request: Any, object_id: str) -> Any:
        """A status call's answer; None when the runtime knows no such object. What was
        described is remembered, so that its removal can be noticed (see ``removals``)."""
        with _mapped(self.socket, what):
            try:
                answer = await call(request, timeout=self._timeout)
            except grpc.aio.AioRpcError as exc:
                if _not_found(exc):
                    return None
                raise
        self._described.add(object_id)
        return answer

    async def sandbox_id_of(self, container_id: str) -> str | None:
        """The pod sandbox of a container (None: no such container)."""
        runtime, _ = self._stubs()
        request = pb.ListContainersRequest(filter=pb.ContainerFilter(id=container_id))
        with _mapped(self.socket, "ListContainers"):
            answer = await runtime.ListContainers(request, timeout=self._timeout)
        for container in answer.containers:
            if container.id == container_id:
                return str(container.pod_sandbox_id) or None
        return None

    async def image_status(self, image: str) -> pb.Image | None:
        _, images = self._stubs()
        request = pb.ImageStatusRequest(image=pb.ImageSpec(image=image))
        with _mapped(self.socket, "ImageStatus"):
            answer = await images.ImageStatus(request, timeout=self._timeout)
        # An image not on the node is an answer without an image, not an error.
        if not answer.HasField("image"):
            return None
        found: pb.Image = answer.image
        return found

    async def listed(self) -> set[str]:
        """The ids of every container and pod sandbox the runtime has, in any state."""
        runtime, _ = self._stubs()
        with _mapped(self.socket, "ListContainers"):
            containers = await runtime.ListContainers(
                pb.ListContainersRequest(), timeout=self._timeout
            )
        with _mapped(self.socket, "ListPodSandbox"):
            sandboxes = await runtime.ListPodSandbox(
                pb.ListPodSandboxRequest(), timeout=self._timeout
            )
        return {c.id for c in containers.containers} | {s.id for s in sandboxes.items}

    async def removals(self) -> AsyncIterator[str]:
        """Full ids of containers and pod sandboxes as they are removed."""
        runtime, _ = self._stubs()
        try:
            with _mapped(self.socket, "GetContainerEvents"):
                # The stream stays open for as long as the runtime runs: no deadline.
                async for event in runtime.GetContainerEvents(pb.GetEventsRequest()):
                    if event.container_event_type == pb.CONTAINER_DELETED_EVENT:
                        yield event.container_id
            return
        except RuntimeApiError as exc:
            cause = exc.__cause__
            if not (
                isinstance(cause, grpc.aio.AioRpcError)
                and cause.code() == grpc.StatusCode.UNIMPLEMENTED
            ):
                raise
        async for gone in self._reconciled():
            yield gone

    async def _reconciled(self) -> AsyncIterator[str]:
        before = await self.listed()
        while True:
            await asyncio.sleep(self.reconcile_s)
            # Taken before listing: what is described while the listing runs is checked next time.
            described, self._described = self._described, set()
            now = await self.listed()
            for gone in (before | described) - now:
                yield gone
            before = now
