"""Test groups and the real things they need.

Markers come from the directory: tests/unit -> ``unit``, tests/kernel -> ``kernel``,
tests/opa -> ``opa``, tests/container -> ``container``, tests/peer -> ``peer``. A missing
capability skips the test, except with ``BPFOPA_STRICT=1`` (set by ``make test`` and CI), where
every skip is turned into a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bpfopa._paths import POLICIES_DIR
from bpfopa.errors import OpaBinaryError
from bpfopa.policy._binary import find_opa
from tests.docker_engine import DockerEngine, EngineError, busybox_image, running_engine

STRICT = os.environ.get("BPFOPA_STRICT") == "1"
GROUPS = ("unit", "kernel", "opa", "container", "peer")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for group in GROUPS:
            if group in parts:
                item.add_marker(getattr(pytest.mark, group))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"BPFOPA_STRICT=1: a skip is a failure here: {reason}"


def require(condition: bool, why: str) -> None:
    """Skip (or, under BPFOPA_STRICT=1, fail) when a capability is missing."""
    if not condition:
        if STRICT:
            pytest.fail(f"missing capability (BPFOPA_STRICT=1): {why}")
        pytest.skip(why)


def http_status(url: str, token: str | None = None) -> int:
    """The status of a GET (with a bearer token if given); 0 when nothing answers."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def opa_binary() -> Path:
    try:
        return find_opa()
    except OpaBinaryError as exc:
        require(False, str(exc))
        raise


@dataclass(frozen=True)
class OpaServer:
    url: str
    pid: int


@pytest.fixture(scope="session")
def opa_server(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    """A real ``opa run --server`` on a free loopback port with the bundled policies."""
    port = free_port()
    log = tmp_path_factory.mktemp("opa") / "opa.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                str(opa_binary),
                "run",
                "--server",
                "--addr",
                f"127.0.0.1:{port}",
                "--log-level",
                "error",
                str(POLICIES_DIR),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"OPA did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    try:
        yield OpaServer(url=url, pid=proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEngine]:
    """A real Docker engine: the host's, or one this session starts and stops."""
    require(os.geteuid() == 0, "the Docker engine tests need root")
    try:
        with running_engine(tmp_path_factory.mktemp("dockerd")) as engine:
            yield engine
    except EngineError as exc:
        require(False, str(exc))


@pytest.fixture(scope="session")
def busybox_ref(docker_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A busybox image built offline (``docker import`` of a static busybox tree)."""
    return busybox_image(docker_engine, tmp_path_factory.mktemp("images"), "bpfopa-test-busybox")
