"""The batching OPA client against a real OPA (and real aiohttp servers in front of it)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from bpfopa.errors import (
    OpaRejectedError,
    OpaUnavailableError,
    PolicyEngineError,
    PolicyMissingError,
)
from bpfopa.policy import (
    DeadLetterFile,
    ManagedOpa,
    OpaClient,
    OpaClientConfig,
    check_status,
)
from tests.conftest import OpaServer, free_port


def doc(path: str, seq: int = 0, name: str = "cat") -> dict[str, Any]:
    return {
        "event": {"name": "openat", "path": path, "ret": 3, "error": None, "params": {"seq": seq}},
        "process": {"pid": 1000 + seq, "name": name, "exe": f"/usr/bin/{name}"},
    }


@pytest.fixture
async def test_opa(shadow_policy_dir: Path) -> AsyncIterator[ManagedOpa]:
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as opa:
        yield opa


async def test_batch_alert_indices(test_opa: ManagedOpa) -> None:
    docs = [doc("/etc/shadow" if i % 7 == 0 else "/tmp/x", i) for i in range(100)]
    async with OpaClient(OpaClientConfig(url=test_opa.url)) as client:
        await client.health()
        await client.check_policies()
        evaluation = await client.evaluate(docs)
    assert sorted(a.index for a in evaluation.alerts) == list(range(0, 100, 7))
    alert = evaluation.alerts[0]
    assert (alert.rule, alert.id, alert.priority, alert.tags) == (
        "Test shadow",
        "test-shadow",
        "WARNING",
        ("test",),
    )
    assert alert.output == "shadow read by cat (1 times)"
    assert evaluation.requests == 1 and evaluation.rejected == []


async def test_syscalls(test_opa: ManagedOpa) -> None:
    async with OpaClient(OpaClientConfig(url=test_opa.url)) as client:
        assert await client.syscalls() == ["openat"]


async def test_rejected_document_is_isolated(test_opa: ManagedOpa, tmp_path: Path) -> None:
    dead = tmp_path / "dead.jsonl"
    docs = [doc("/etc/shadow", i) for i in range(16)]
    docs[5] = doc("/poison", 5)
    docs[11] = doc("/etc/shadow", 11)
    docs[11]["event"]["params"]["huge"] = 2**70  # orjson cannot encode it: isolated too
    config = OpaClientConfig(url=test_opa.url)
    async with OpaClient(config, dead_letter=DeadLetterFile(dead)) as client:
        evaluation = await client.evaluate(docs)
        assert client.rejected == 2
        assert client.dead_letter.count == 2
    assert sorted(a.index for a in evaluation.alerts) == [i for i in range(16) if i not in (5, 11)]
    assert evaluation.requests > 2
    records = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert len(records) == 2
    poison = next(r for r in records if r["status"] == 500)
    assert poison["document"]["event"]["path"] == "/poison"
    assert "eval_conflict_error" in poison["reason"]
    assert "time" in poison
    huge = next(r for r in records if r["status"] == 0)
    assert "serializable" in huge["reason"]


async def test_connection_refused_is_retried_then_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = OpaClientConfig(url=url, retry_attempts=3, retry_initial_s=0.01, retry_max_s=0.02)
    async with OpaClient(config) as client:
        with pytest.raises(OpaUnavailableError) as info:
            await client.evaluate([doc("/etc/shadow")])
        assert client.retries == 2
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectionError)
    assert info.value.retriable


async def test_policy_missing(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.rego").write_text("package something.else\n\nallow := true\n")
    async with (
        ManagedOpa(include_bundled=False, extra_policies=[other]) as opa,
        OpaClient(OpaClientConfig(url=opa.url)) as client,
    ):
        await client.health()
        with pytest.raises(PolicyMissingError, match="policies are not loaded"):
            await client.check_policies()
        assert await client.syscalls() is None


class Proxy:
    """A real aiohttp server in front of OPA that can answer with scripted failures first."""

    def __init__(self, upstream: str, failures: list[int], require_token: str | None = None):
        self.upstream = upstream
        self.failures = failures
        self.require_token = require_token
        self.seen = 0
        self.authorizations: list[str | None] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen += 1
        self.authorizations.append(request.headers.get("Authorization"))
        if self.require_token and request.headers.get("Authorization") != (
            f"Bearer {self.require_token}"
        ):
            return web.Response(status=401, text='{"code": "unauthorized"}')
        if self.failures:
            return web.Response(status=self.failures.pop(0), text="busy")
        body = await request.read()
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, self.upstream + request.path, data=body) as resp,
        ):
            return web.Response(status=resp.status, body=await resp.read())


@pytest.fixture
async def proxy_factory() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(proxy: Proxy) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", proxy.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_429_and_503_are_retried(test_opa: ManagedOpa, proxy_factory: Any) -> None:
    proxy = Proxy(test_opa.url, failures=[429, 503])
    url = await proxy_factory(proxy)
    config = OpaClientConfig(url=url, retry_attempts=4, retry_initial_s=0.01, retry_max_s=0.05)
    async with OpaClient(config) as client:
        evaluation = await client.evaluate([doc("/etc/shadow")])
        assert client.retries == 2
    assert [a.index for a in evaluation.alerts] == [0]
    assert proxy.seen == 3


async def test_persistent_503_gives_up(test_opa: ManagedOpa, proxy_factory: Any) -> None:
    proxy = Proxy(test_opa.url, failures=[503] * 10)
    url = await proxy_factory(proxy)
    config = OpaClientConfig(url=url, retry_attempts=3, retry_initial_s=0.01, retry_max_s=0.02)
    async with OpaClient(config) as client:
        with pytest.raises(OpaUnavailableError, match="503"):
            await client.evaluate([doc("/etc/shadow")])
    assert proxy.seen == 3


async def test_bearer_token(test_opa: ManagedOpa, proxy_factory: Any) -> None:
    proxy = Proxy(test_opa.url, failures=[], require_token="s3cret")
    url = await proxy_factory(proxy)
    async with OpaClient(OpaClientConfig(url=url, token="s3cret")) as client:
        evaluation = await client.evaluate([doc("/etc/shadow")])
    assert len(evaluation.alerts) == 1
    assert proxy.authorizations == ["Bearer s3cret"]
    # A wrong token is not a document problem: no retries, no splitting, no dead letters.
    async with OpaClient(OpaClientConfig(url=url, token="wrong")) as client:
        with pytest.raises(PolicyEngineError, match="token") as info:
            await client.evaluate([doc("/etc/shadow"), doc("/tmp/a")])
        assert not isinstance(info.value, OpaRejectedError)
        assert client.retries == 0 and client.dead_letter.count == 0
    assert proxy.seen == 2


def test_status_classification() -> None:
    conflict = b'{"code": "internal_error", "errors": [{"code": "eval_conflict_error"}]}'
    with pytest.raises(OpaRejectedError) as rejected:
        check_status("u", 500, conflict)
    assert rejected.value.status == 500 and not rejected.value.retriable
    with pytest.raises(OpaUnavailableError):
        check_status("u", 500, b'{"code": "internal_error", "message": "oops"}')
    with pytest.raises(OpaUnavailableError):
        check_status("u", 429, b"")
    with pytest.raises(OpaRejectedError):
        check_status("u", 400, b'{"code": "invalid_parameter"}')
    check_status("u", 200, b"{}")


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_with_ca_file(
    opa_binary: Path, shadow_policy_dir: Path, tls_files: tuple[Path, Path]
) -> None:
    cert, key = tls_files
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        str(opa_binary), "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error",
        "--tls-cert-file", str(cert), "--tls-private-key-file", str(key), str(shadow_policy_dir),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:
        async with OpaClient(OpaClientConfig(url=url, ca_file=cert)) as client:
            for _ in range(200):
                try:
                    await client.health()
                    break
                except OpaUnavailableError:
                    await asyncio.sleep(0.05)
            evaluation = await client.evaluate([doc("/etc/shadow")])
            assert len(evaluation.alerts) == 1
        # Without the CA the certificate is not trusted: a clear, non-retriable error.
        async with OpaClient(OpaClientConfig(url=url, retry_attempts=1)) as client:
            with pytest.raises(PolicyEngineError, match="TLS") as info:
                await client.health()
            assert not info.value.retriable
    finally:
        proc.terminate()
        await proc.wait()


def shadow_read_by_cat() -> dict[str, Any]:
    """`cat /etc/shadow` run from an interactive bash, as the capture documents it."""
    process = {
        "pid": 4242, "ppid": 4200, "tid": 4242, "name": "cat", "exe": "/usr/bin/cat",
        "args": ["/etc/shadow"], "argv0": "cat", "cmdline": "cat /etc/shadow",
        "args_truncated": False, "env": ["HOME=/root"], "cwd": "/root",
        "uid": 0, "gid": 0, "euid": 0, "loginuid": 1000, "user": "root", "tty": 34816,
        "start_time": "2026-11-28T09:29:58.001Z", "cap_effective": [],
        "cgroup": ["0::/user.slice/user-0.slice/session-1.scope"], "container": None,
    }  # fmt: skip
    parent = {
        "pid": 4200, "ppid": 4100, "tid": 4200, "name": "bash", "exe": "/usr/bin/bash",
        "args": [], "argv0": "-bash", "cmdline": "-bash", "args_truncated": False, "env": [],
        "cwd": "/root", "uid": 0, "gid": 0, "euid": 0, "loginuid": 1000, "user": "root",
        "tty": 34816, "start_time": "2026-11-28T09:00:00Z", "cap_effective": [],
        "cgroup": ["0::/user.slice/user-0.slice/session-1.scope"], "container": None,
    }  # fmt: skip
    process["parent"] = parent
    process["ancestors"] = [{"pid": 1, "name": "systemd", "exe": "/usr/lib/systemd/systemd",
                             "cmdline": "/sbin/init"}]  # fmt: skip
    return {
        "event": {
            "name": "openat", "nr": 257, "ts": 123456789012,
            "time": "2026-11-28T09:30:00.123456789Z", "tid": 4242, "ret": 3, "error": None,
            "params": {"dirfd": -100, "filename": "/etc/shadow", "flags": 0, "mode": 0},
            "flags": ["O_RDONLY"], "mode_names": [], "path": "/etc/shadow",
            "paths": {"filename": "/etc/shadow"},
            "fd": {"num": 3, "type": "file", "name": "/etc/shadow"}, "truncated": [],
        },
        "process": process,
    }  # fmt: skip


async def test_bundled_policies_flag_shadow_read(opa_server: OpaServer) -> None:
    async with OpaClient(OpaClientConfig(url=opa_server.url)) as client:
        await client.check_policies()
        evaluation = await client.evaluate([shadow_read_by_cat()])
        syscalls = await client.syscalls()
    assert "Read sensitive file untrusted" in {a.rule for a in evaluation.alerts}
    assert syscalls is not None and "openat" in syscalls
