"""Container metadata from a real Docker engine: what inspect says, the cache, eviction on
removal, the container stage's late marking, and pods made the way the kubelet makes them."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bpfopa.pipeline import Channel, ContainerStage
from bpfopa.runtime import ContainerMetadata
from tests.container.conftest import kubelet_container, kubelet_sandbox, metadata
from tests.docker_engine import DockerEngine

Doc = dict[str, Any]


def base_of(full_id: str) -> Doc:
    return {"id": full_id[:12], "full_id": full_id, "runtime": "docker"}


def start(engine: DockerEngine, image: str, *options: str, argv: Sequence[str] = ()) -> str:
    """A running container (``sleep`` unless ``argv``); returns its full id."""
    return engine.docker("run", "-d", *options, image, *(argv or ("sleep", "60"))).stdout.strip()


async def resolved(meta: ContainerMetadata, full_id: str) -> Doc:
    """Polls the cache as the container stage does (lookup never waits)."""
    async with asyncio.timeout(10):
        while (doc := meta.lookup(base_of(full_id))) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    return doc


def test_inspect_fields(docker_engine: DockerEngine, tool_image: str, tmp_path: Path) -> None:
    name = f"bpfopa-meta-{uuid.uuid4().hex[:8]}"
    cid = start(
        docker_engine,
        tool_image,
        "--name",
        name,
        "--network",
        "host",
        "--pid",
        "host",
        "--ipc",
        "host",
        "--cap-add",
        "NET_ADMIN",
        "--cap-add",
        "CAP_SYS_PTRACE",
        "--user",
        "0:0",
        "--label",
        "team=blue",
        "-v",
        "/etc:/host-etc:ro",
        "-v",
        f"{tmp_path}:/data",
    )
    try:

        async def main() -> Doc:
            async with metadata(docker_engine.socket) as meta:
                assert meta.lookup(base_of(cid)) is None  # asked in the background
                return await resolved(meta, cid)

        doc = asyncio.run(main())
        init_pid = int(docker_engine.docker("inspect", "-f", "{{.State.Pid}}", cid).stdout)
    finally:
        docker_engine.remove(cid)
    repository, tag = tool_image.split(":")
    assert doc["metadata"] == "complete"
    assert (doc["id"], doc["full_id"], doc["name"]) == (cid[:12], cid, name)
    assert doc["image"]["repository"] == repository and doc["image"]["tag"] == tag
    image_id = docker_engine.docker("image", "inspect", "-f", "{{.Id}}", tool_image).stdout
    assert doc["image"]["id"] == image_id.strip().removeprefix("sha256:")[:12]
    assert doc["image"]["digest"] is None  # `docker import`-ed: never pushed, no digest
    assert doc["labels"] == {"team": "blue"}
    assert doc["privileged"] is False
    assert sorted(doc["cap_add"]) == ["CAP_NET_ADMIN", "CAP_SYS_PTRACE"]
    assert (doc["host_pid"], doc["host_network"], doc["host_ipc"]) == (True, True, True)
    assert doc["user"] == "0:0"
    assert {"source": "/etc", "destination": "/host-etc", "rw": False} in doc["mounts"]
    assert {"source": str(tmp_path), "destination": "/data", "rw": True} in doc["mounts"]
    assert doc["started_at"] and doc["started_at"].startswith("20")
    assert doc["init_pid"] == init_pid > 0
    assert doc["pod"] is None


def test_privileged(privileged_engine: DockerEngine, tool_image: str) -> None:
    cid = start(privileged_engine, tool_image, "--privileged", "--network", "none")
    try:

        async def main() -> Doc:
            async with metadata(privileged_engine.socket) as meta:
                meta.lookup(base_of(cid))
                return await resolved(meta, cid)

        doc = asyncio.run(main())
    finally:
        privileged_engine.remove(cid)
    assert doc["privileged"] is True
    assert (doc["host_pid"], doc["host_network"]) == (False, False)


def test_removed_container_is_evicted_and_unknown_ids_retried_later(
    docker_engine: DockerEngine, tool_image: str
) -> None:
    cid = start(docker_engine, tool_image, "--network", "none")
    unknown = uuid.uuid4().hex * 2

    async def main() -> ContainerMetadata:
        async with metadata(docker_engine.socket, retry_after_s=0.2) as meta:
            await resolved(meta, cid)
            missing = await resolved(meta, unknown)
            assert missing["metadata"] == "unavailable" and missing["name"] is None
            assert meta.lookup(base_of(unknown)) is missing  # cached, not asked again
            await asyncio.sleep(0.3)
            assert meta.lookup(base_of(unknown)) is None  # asked again after retry_after_s
            await asyncio.to_thread(docker_engine.remove, cid)
            async with asyncio.timeout(10):
                while meta.counters["evicted_removed"] < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            return meta

    meta = asyncio.run(main())
    assert meta.counters["not_found"] >= 2
    assert meta.counters["complete"] == 1


def test_no_engine_means_unavailable_at_once(tmp_path: Path) -> None:
    async def main() -> tuple[Doc | None, str | None]:
        async with metadata(tmp_path / "absent.sock") as meta:
            return meta.lookup(base_of("ab" * 32)), meta.unavailable_reason

    doc, reason = asyncio.run(main())
    assert doc is not None and doc["metadata"] == "unavailable"
    assert reason is not None and "absent.sock: absent" in reason


def _doc(full_id: str, n: int) -> Doc:
    container = base_of(full_id)
    return {
        "event": {"name": "openat", "n": n},
        "process": {"pid": n, "container": container, "parent": {"container": container}},
    }


def test_stage_lets_events_go_late_then_fills_them(
    docker_engine: DockerEngine, tool_image: str
) -> None:
    """wait 0: the first event of a new container goes on at once, marked late; once the
    lookup is done, the next one is complete. Host events pass untouched."""
    cid = start(docker_engine, tool_image, "--network", "none")

    async def main() -> tuple[list[Doc], ContainerStage]:
        async with metadata(docker_engine.socket) as meta:
            inbox: Channel[list[Doc]] = Channel("containers", 100)
            outbox: Channel[list[Doc]] = Channel("dedup", 100)
            stage = ContainerStage(meta, inbox, outbox, wait_s=0.0)
            await stage.start()
            host = {"event": {"name": "openat"}, "process": {"pid": 1, "container": None}}
            await inbox.put([_doc(cid, 1), host])
            await resolved(meta, cid)
            await inbox.put([_doc(cid, 2)])
            inbox.close()
            await stage.wait()
            out: list[Doc] = []
            while (batch := await outbox.get()) is not None:
                out.extend(batch)
            return out, stage

    try:
        out, stage = asyncio.run(main())
    finally:
        docker_engine.remove(cid)
    # The host event passes while the container's first one waits for its (zero) deadline.
    host, first, second = out
    assert host["process"]["container"] is None
    assert first["process"]["container"]["metadata"] == "late"
    assert first["process"]["container"]["full_id"] == cid
    assert first["process"]["container"]["image"]["repository"] is None
    assert second["process"]["container"]["metadata"] == "complete"
    # The parent in the same container gets the same metadata.
    assert second["process"]["parent"]["container"] is second["process"]["container"]
    # Neither is the container's first process.
    assert "vpid" not in second["process"] and "vpid" not in first["process"]
    assert stage.late == 1 and stage.parked == 0
    assert stage.snapshot()["late"] == 1


def test_stage_waits_for_the_lookup_within_the_bound(
    docker_engine: DockerEngine, tool_image: str
) -> None:
    cid = start(docker_engine, tool_image, "--network", "none")
    init_pid = int(docker_engine.docker("inspect", "-f", "{{.State.Pid}}", cid).stdout)

    async def main() -> list[Doc]:
        async with metadata(docker_engine.socket) as meta:
            inbox: Channel[list[Doc]] = Channel("containers", 100)
            outbox: Channel[list[Doc]] = Channel("dedup", 100)
            stage = ContainerStage(meta, inbox, outbox, wait_s=5.0)
            await stage.start()
            await inbox.put([_doc(cid, 1), _doc(cid, 2), _doc(cid, init_pid)])
            async with asyncio.timeout(5):
                batch = await outbox.get()
            inbox.close()
            await stage.wait()
            assert stage.late == 0
            return batch or []

    try:
        out = asyncio.run(main())
    finally:
        docker_engine.remove(cid)
    assert [d["event"]["n"] for d in out] == [1, 2, init_pid]
    assert {d["process"]["container"]["metadata"] for d in out} == {"complete"}
    # The container's first process is pid 1 in the container (Falco's proc.vpid).
    assert [d["process"].get("vpid") for d in out] == [None, None, 1]


# --- pods, as the kubelet creates them through cri-dockerd ------------------------------------


def test_pod_metadata_from_kubelet_labels(docker_engine: DockerEngine, tool_image: str) -> None:
    labels = {"app": "web", "app.kubernetes.io/part-of": "shop"}
    pod, sandbox = kubelet_sandbox(docker_engine, tool_image, labels)
    app = start(docker_engine, tool_image, *kubelet_container(pod, "app", sandbox))

    async def main() -> tuple[Doc, Doc]:
        async with metadata(docker_engine.socket) as meta:
            meta.lookup(base_of(app))
            meta.lookup(base_of(sandbox))
            return await resolved(meta, app), await resolved(meta, sandbox)

    try:
        app_doc, sandbox_doc = asyncio.run(main())
    finally:
        docker_engine.remove(app, sandbox)
    expected = {**pod, "labels": labels, "ip": None}
    assert app_doc["pod"] == expected
    assert sandbox_doc["pod"] == expected
    assert app_doc["name"] == f"k8s_app_{pod['name']}_{pod['namespace']}_{pod['uid']}_0"


def test_pod_from_the_name_scheme_alone(docker_engine: DockerEngine, tool_image: str) -> None:
    uid = str(uuid.uuid4())
    cid = start(docker_engine, tool_image, "--name", f"k8s_app_api-0_prod_{uid}_3")

    async def main() -> Doc:
        async with metadata(docker_engine.socket) as meta:
            meta.lookup(base_of(cid))
            return await resolved(meta, cid)

    try:
        doc = asyncio.run(main())
    finally:
        docker_engine.remove(cid)
    assert doc["pod"] == {
        "name": "api-0",
        "namespace": "prod",
        "uid": uid,
        "labels": None,
        "ip": None,
    }


def test_a_failing_engine_does_not_hide_the_next_one(
    docker_engine: DockerEngine, tool_image: str
) -> None:
    """An engine that answers its version but fails every inspect (HTTP 500) is asked first;
    the real engine after it still names the container."""
    from aiohttp import web

    async def version(_request: web.Request) -> web.Response:
        return web.json_response({"Version": "0.0-broken", "Components": []})

    async def broken(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="engine is broken")

    cid = start(docker_engine, tool_image, "--network", "none")

    async def main(path: Path) -> tuple[Doc, ContainerMetadata]:
        app = web.Application()
        app.router.add_get("/version", version)
        app.router.add_get("/{tail:.*}", broken)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.UnixSite(runner, str(path)).start()
        try:
            async with metadata(path, docker_engine.socket) as meta:
                assert len(meta.engines) == 2
                meta.lookup(base_of(cid))
                return await resolved(meta, cid), meta
        finally:
            await runner.cleanup()

    # Short: a sockaddr_un holds 108 bytes.
    with tempfile.TemporaryDirectory(prefix="bpfopa-") as workdir:
        try:
            doc, meta = asyncio.run(main(Path(workdir) / "broken.sock"))
        finally:
            docker_engine.remove(cid)
    assert doc["metadata"] == "complete" and doc["full_id"] == cid
    assert meta.counters["errors"] == 1 and meta.counters["complete"] == 1


def test_stage_lets_an_exec_wait_longer_and_keeps_the_container_order(
    docker_engine: DockerEngine, tool_image: str
) -> None:
    """wait 0, exec wait 5 s: an exec of a new container waits for its metadata, and the
    container's later events wait behind it; another new container's open goes on late."""
    cid = start(docker_engine, tool_image, "--network", "none")
    other = start(docker_engine, tool_image, "--network", "none")

    async def main() -> list[Doc]:
        async with metadata(docker_engine.socket) as meta:
            inbox: Channel[list[Doc]] = Channel("containers", 100)
            outbox: Channel[list[Doc]] = Channel("dedup", 100)
            stage = ContainerStage(meta, inbox, outbox, wait_s=0.0, exec_wait_s=5.0)
            await stage.start()
            exec_doc = _doc(cid, 1)
            exec_doc["event"]["name"] = "execve"
            await inbox.put([exec_doc, _doc(cid, 2), _doc(other, 3)])
            out: list[Doc] = []
            async with asyncio.timeout(10):
                while len(out) < 3:
                    out.extend(await outbox.get() or [])
            inbox.close()
            await stage.wait()
            return out

    try:
        out = asyncio.run(main())
    finally:
        docker_engine.remove(cid, other)
    metadata_of = {d["event"]["n"]: d["process"]["container"]["metadata"] for d in out}
    assert metadata_of == {1: "complete", 2: "complete", 3: "late"}
    assert [d["event"]["n"] for d in out if d["event"]["n"] != 3] == [1, 2]
