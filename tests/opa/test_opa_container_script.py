"""deploy/opa/bpfopa-opa, the OPA entry point of the container image (compose demo and the Helm
chart's sidecar), run for real with the pinned opa: a generated token, every request refused
without it, and a health check that proves both the token and bpfopa's policies."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from tests.conftest import free_port, http_status

SCRIPT = PROJECT_ROOT / "deploy" / "opa" / "bpfopa-opa"
AUTHZ = PROJECT_ROOT / "deploy" / "opa" / "authz.rego"


def script_env(opa_binary: Path, token_file: Path, addr: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{opa_binary.parent}:{os.environ['PATH']}",
        "BPFOPA_OPA_TOKEN_FILE": str(token_file),
        "BPFOPA_OPA_ADDR": addr,
        "BPFOPA_OPA_AUTHZ": str(AUTHZ),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


Serve = Callable[[Path], tuple[str, dict[str, str]]]


@pytest.fixture
def serve(opa_binary: Path, tmp_path: Path) -> Iterator[Serve]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(policy_dir: Path) -> tuple[str, dict[str, str]]:
        addr = f"127.0.0.1:{free_port()}"
        env = script_env(opa_binary, tmp_path / f"run-{len(procs)}" / "opa-token", addr)
        assert run(env, "token").returncode == 0
        proc = subprocess.Popen(
            [str(SCRIPT), "serve", str(policy_dir)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if http_status(f"http://{addr}/health"):
                return f"http://{addr}", env
            time.sleep(0.1)
        pytest.fail(f"bpfopa-opa serve on {addr} did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_token_is_random_private_and_kept(opa_binary: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "run" / "opa-token"
    env = script_env(opa_binary, token_file, "127.0.0.1:1")
    assert run(env, "token").returncode == 0
    first = token_file.read_text()
    assert len(first) == 64 and int(first, 16) >= 0
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert run(env, "token").returncode == 0
    assert token_file.read_text() == first  # a restarted init step keeps the running OPA's token
    other = script_env(opa_binary, tmp_path / "other" / "opa-token", "127.0.0.1:1")
    assert run(other, "token").returncode == 0
    assert (tmp_path / "other" / "opa-token").read_text() != first


def test_every_request_needs_the_token_and_health_proves_it(serve: Serve) -> None:
    url, env = serve(POLICIES_DIR)
    token = Path(env["BPFOPA_OPA_TOKEN_FILE"]).read_text()
    syscalls = f"{url}/v1/data/bpfopa/main/syscalls"
    assert http_status(syscalls) == 401
    assert http_status(syscalls, "0" * 64) == 401
    assert http_status(f"{url}/health") == 401
    assert http_status(syscalls, token) == 200
    health = run(env, "health")
    assert health.returncode == 0, health.stderr
    assert token not in health.stdout + health.stderr
    # A health check holding another token fails: it proves the token, not just a listener.
    Path(env["BPFOPA_OPA_TOKEN_FILE"]).write_text("f" * 64)
    assert run(env, "health").returncode != 0


def test_health_fails_when_bpfopa_policies_are_not_loaded(serve: Serve, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.rego").write_text("package something.else\n\nallow := true\n")
    _, env = serve(other)
    assert run(env, "health").returncode != 0


def test_health_fails_when_nothing_listens(opa_binary: Path, tmp_path: Path) -> None:
    env = script_env(opa_binary, tmp_path / "opa-token", f"127.0.0.1:{free_port()}")
    assert run(env, "token").returncode == 0
    assert run(env, "health").returncode != 0


def test_a_missing_or_malformed_token_is_refused_with_the_reason(
    opa_binary: Path, tmp_path: Path
) -> None:
    token_file = tmp_path / "opa-token"
    env = script_env(opa_binary, token_file, f"127.0.0.1:{free_port()}")
    proc = run(env, "serve", str(POLICIES_DIR))
    assert proc.returncode != 0 and "no token in" in proc.stderr
    token_file.write_text('short"')
    proc = run(env, "serve", str(POLICIES_DIR))
    assert proc.returncode != 0 and "16 or more characters" in proc.stderr


def test_authz_policy_tests_pass(opa_binary: Path) -> None:
    proc = subprocess.run(
        [str(opa_binary), "test", str(AUTHZ.parent)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
