"""docker-compose.yml's OPA healthcheck, run for real with the pinned opa against real servers.

The compose file cannot be started here (no Docker engine), but its healthcheck is just an
``opa eval`` command: it must pass when bpfopa's policies are served and fail otherwise.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from bpfopa._paths import PROJECT_ROOT
from tests.conftest import OpaServer, free_port


def healthcheck(opa_binary: Path, url: str) -> subprocess.CompletedProcess[str]:
    """The compose healthcheck with the image's /opa and port replaced by ours."""
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    test = compose["services"]["opa"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "/opa"]
    args = [arg.replace("http://127.0.0.1:8181", url) for arg in test[2:]]
    assert args != test[2:], "healthcheck does not query http://127.0.0.1:8181"
    return subprocess.run([str(opa_binary), *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def serve(opa_binary: Path) -> Iterator[Callable[[Path], str]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(policy_dir: Path) -> str:
        port = free_port()
        proc = subprocess.Popen(
            [str(opa_binary), "run", "--server", "--addr", f"127.0.0.1:{port}",
             "--log-level", "error", str(policy_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    return url
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"OPA on {url} did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_healthcheck_passes_against_the_bundled_bpfopa_policies(
    opa_binary: Path, opa_server: OpaServer
) -> None:
    proc = healthcheck(opa_binary, opa_server.url)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_healthcheck_fails_when_bpfopa_policies_are_not_loaded(
    opa_binary: Path, tmp_path: Path, serve: Callable[[Path], str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.rego").write_text("package something.else\n\nallow := true\n")
    proc = healthcheck(opa_binary, serve(other))
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_healthcheck_passes_for_a_minimal_bpfopa_main(
    opa_binary: Path, tmp_path: Path, serve: Callable[[Path], str]
) -> None:
    minimal = tmp_path / "minimal"
    minimal.mkdir()
    (minimal / "main.rego").write_text('package bpfopa.main\n\nsyscalls := ["openat"]\n')
    proc = healthcheck(opa_binary, serve(minimal))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_healthcheck_fails_when_nothing_listens(opa_binary: Path) -> None:
    proc = healthcheck(opa_binary, f"http://127.0.0.1:{free_port()}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
