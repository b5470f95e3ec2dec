"""The CRI runtimes with a container event stream (containerd >= 1.7, CRI-O): removals come
from ``GetContainerEvents``, not from listing. containerd 1.6, the one the live tests run
(tests/container/test_cri_metadata.py), has no such stream, so a small gRPC server built from
the same generated stubs plays one here; it also has no image service, whose failure must cost
only the image's id."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from bpfopa.runtime import ContainerMetadata
from bpfopa.runtime._criapi import api_pb2 as pb
from bpfopa.runtime._criapi import api_pb2_grpc

CID = "ab" * 32
SANDBOX = "cd" * 32


class Runtime(api_pb2_grpc.RuntimeServiceServicer):
    def __init__(self) -> None:
        self.remove = asyncio.Event()
        self.listed = 0

    async def Version(self, request: Any, context: Any) -> pb.VersionResponse:
        return pb.VersionResponse(
            runtime_name="cri-o", runtime_version="1.99", runtime_api_version="v1"
        )

    async def ContainerStatus(self, request: Any, context: Any) -> pb.ContainerStatusResponse:
        if request.container_id != CID:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such container")
        status = pb.ContainerStatus(
            id=CID,
            metadata=pb.ContainerMetadata(name="app"),
            image=pb.ImageSpec(image="quay.example/app:2"),
            image_ref="sha256:" + "12" * 32,
        )
        return pb.ContainerStatusResponse(status=status)

    async def ListContainers(self, request: Any, context: Any) -> pb.ListContainersResponse:
        self.listed += 1
        return pb.ListContainersResponse(containers=[pb.Container(id=CID, pod_sandbox_id=SANDBOX)])

    async def PodSandboxStatus(self, request: Any, context: Any) -> pb.PodSandboxStatusResponse:
        meta = pb.PodSandboxMetadata(name="app-0", namespace="ns", uid="u1")
        return pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=SANDBOX, metadata=meta))

    async def GetContainerEvents(
        self, request: Any, context: Any
    ) -> AsyncIterator[pb.ContainerEventResponse]:
        await self.remove.wait()
        yield pb.ContainerEventResponse(
            container_id=CID, container_event_type=pb.CONTAINER_DELETED_EVENT
        )
        await asyncio.Event().wait()  # the stream stays open, as a runtime's does


async def test_removal_from_the_event_stream_and_no_image_service() -> None:
    runtime = Runtime()
    server = grpc.aio.server()
    api_pb2_grpc.add_RuntimeServiceServicer_to_server(runtime, server)
    with tempfile.TemporaryDirectory(prefix="bpfopa-") as workdir:  # short: sockaddr_un
        socket = Path(workdir) / "crio.sock"
        server.add_insecure_port(f"unix://{socket}")
        await server.start()
        meta = ContainerMetadata([socket], reconcile_s=0.05)
        try:
            await meta.start()
            assert meta.engines == [f"cri-o 1.99 (CRI v1) at {socket}"]
            base = {"id": CID[:12], "full_id": CID, "runtime": "cri-o"}
            async with asyncio.timeout(10):
                while (doc := meta.lookup(base)) is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            runtime.remove.set()
            async with asyncio.timeout(10):
                while meta.counters["evicted_removed"] < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            listed = runtime.listed
        finally:
            await meta.aclose()
            await server.stop(None)
    assert doc["metadata"] == "complete" and doc["runtime"] == "cri-o"
    assert doc["pod"] == {"name": "app-0", "namespace": "ns", "uid": "u1", "labels": {}, "ip": None}
    # ImageStatus is UNIMPLEMENTED here: the image is named from the container, without an id
    # from the image service but with the one its reference carries.
    assert doc["image"] == {
        "repository": "quay.example/app",
        "tag": "2",
        "digest": None,
        "id": "12" * 6,
    }
    # The stream, not listing: ListContainers was asked once, for the sandbox id.
    assert listed == 1
    assert meta.counters["event_stream_errors"] == 0
