"""The compose demo, run as the README says: built offline, OPA on loopback behind a token,
bpfopa in a container raising an alert for something done in another container.

The project gets its own name and free loopback ports, so it can run beside a user's demo or
other tests; ``down -v`` runs whatever happens.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bpfopa._paths import PROJECT_ROOT
from tests.conftest import free_port, http_status, require
from tests.docker_engine import DockerEngine

COMPOSE_VERSION = "v5.6.0"  # what scripts/setup.sh installs
BASE_IMAGE_SCRIPT = PROJECT_ROOT / "deploy" / "base-image.sh"
ALERT_WITHIN_S = 10.0


@dataclass(frozen=True)
class Demo:
    engine: DockerEngine
    project: str
    env: dict[str, str]
    opa_url: str
    metrics_url: str

    def compose(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-p", self.project,
             *args],
            cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check:
            assert proc.returncode == 0, f"docker compose {' '.join(args)}:\n{proc.stderr}"
        return proc

    def alerts(self) -> list[dict[str, Any]]:
        logs = self.compose("logs", "--no-log-prefix", "--no-color", "bpfopa").stdout
        found = []
        for line in logs.splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found


def evaluated(demo: Demo) -> float:
    """Events the policy stage has passed on (evaluated by OPA), from bpfopa's metrics."""
    try:
        with urllib.request.urlopen(f"{demo.metrics_url}/metrics", timeout=5) as resp:
            lines = resp.read().decode().splitlines()
    except OSError:
        return 0.0
    prefix = 'bpfopa_stage_events_emitted_total{stage="policy"} '
    return sum(float(line[len(prefix) :]) for line in lines if line.startswith(prefix))


@pytest.fixture(scope="module")
def demo(docker_engine: DockerEngine) -> Iterator[Demo]:
    version = subprocess.run(
        ["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=30
    )
    require(
        version.returncode == 0 and version.stdout.strip().lstrip("v") == COMPOSE_VERSION[1:],
        f"docker compose {COMPOSE_VERSION} plugin missing (scripts/setup.sh builds it): "
        f"{version.stdout.strip()} {version.stderr.strip()}",
    )
    env = {**docker_engine.env}
    base = subprocess.run(
        [str(BASE_IMAGE_SCRIPT)], env=env, capture_output=True, text=True, timeout=1800
    )
    assert base.returncode == 0, base.stderr
    opa_port, metrics_port = free_port(), free_port()
    project = f"bpfopa-test-{uuid.uuid4().hex[:8]}"
    env.update(
        BPFOPA_OPA_PORT=str(opa_port),
        BPFOPA_METRICS_PORT=str(metrics_port),
        BPFOPA_IMAGE=f"{project}:local",
    )
    demo = Demo(
        docker_engine,
        project,
        env,
        f"http://127.0.0.1:{opa_port}",
        f"http://127.0.0.1:{metrics_port}",
    )
    try:
        # The README's command; --wait: OPA healthy (its authenticated health check) first.
        demo.compose("up", "--build", "-d", "--wait", "--wait-timeout", "300", timeout=1800)
        deadline = time.monotonic() + 240  # BCC compiles the probes at start
        while http_status(f"{demo.metrics_url}/readyz") != 200:
            if time.monotonic() > deadline:
                logs = demo.compose("logs", "--no-color", check=False).stdout
                pytest.fail(f"bpfopa did not become ready:\n{logs[-4000:]}")
            time.sleep(0.5)
        # Ready, and OPA's verdicts flowing: the clock of the 10 s starts from a running pipeline
        # (a loaded host gives BCC's compile and the first batches a slow start).
        while evaluated(demo) == 0:
            if time.monotonic() > deadline:
                pytest.fail("bpfopa is ready but no event was evaluated")
            time.sleep(0.5)
        yield demo
    finally:
        down = demo.compose("down", "-v", timeout=300, check=False)
        docker_engine.docker("rmi", env["BPFOPA_IMAGE"], check=False)  # the tag; layers stay cached
        volumes = docker_engine.docker(
            "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"
        ).stdout.split()
        assert down.returncode == 0 and not volumes, down.stderr + str(volumes)


def test_an_alert_from_a_victim_container_reaches_the_bpfopa_container_logs(
    demo: Demo, busybox_ref: str
) -> None:
    name = f"{demo.project}-victim"
    victim = demo.engine.docker(
        "run", "-d", "--name", name, "--network", "none", busybox_ref,
        # Once a second: on a loaded host the capture may drop (and count) one read.
        "sh", "-c", "echo 'root:*:19000:0:99999:7:::' > /etc/shadow; "
        "while true; do cat /etc/shadow; sleep 1; done",
    ).stdout.strip()  # fmt: skip
    started = time.monotonic()
    try:
        while True:
            hits = [
                a
                for a in demo.alerts()
                if a.get("rule_id") == "read_sensitive_file_untrusted"
                and str(a["output_fields"].get("container.id", "")) != "host"
                and victim.startswith(str(a["output_fields"]["container.id"]))
            ]
            if hits:
                break
            assert time.monotonic() - started < ALERT_WITHIN_S, (
                f"no alert for the victim {victim[:12]} within {ALERT_WITHIN_S} s; "
                f"{len(demo.alerts())} other alerts"
            )
            time.sleep(0.3)
    finally:
        demo.engine.remove(victim)
    fields = hits[0]["output_fields"]
    assert fields["fd.name"] == "/etc/shadow"
    assert fields["proc.cmdline"].endswith(" /etc/shadow"), fields
    # The demo mounts the engine's socket: the alert names the container and its image.
    assert fields["container.name"] == name, fields
    assert fields["container.image.repository"] == busybox_ref.split(":")[0], fields


def test_opa_answers_on_loopback_only_with_the_generated_token(demo: Demo) -> None:
    syscalls = f"{demo.opa_url}/v1/data/bpfopa/main/syscalls"
    assert http_status(syscalls) == 401
    assert http_status(syscalls, token="not-the-token-0123456789") == 401
    token = demo.compose("exec", "-T", "opa", "cat", "/run/bpfopa/opa-token").stdout.strip()
    assert len(token) == 64
    assert http_status(syscalls, token=token) == 200
    listening = subprocess.run(
        ["ss", "-Htln", f"sport = :{demo.opa_url.rsplit(':', 1)[1]}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    local = [field for field in listening if field.endswith(demo.opa_url.rsplit(":", 1)[1])]
    assert local == [f"127.0.0.1:{demo.opa_url.rsplit(':', 1)[1]}"], listening
    # Not in the image: a fresh container of it has no token.
    image = demo.env["BPFOPA_IMAGE"]
    fresh = demo.engine.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "ls", image, "/run/bpfopa",
        check=False,
    )  # fmt: skip
    assert "opa-token" not in fresh.stdout


def test_bpfopa_runs_with_the_policies_so_projection_and_prefilter_are_on(demo: Demo) -> None:
    with urllib.request.urlopen(f"{demo.metrics_url}/metrics", timeout=5) as resp:
        metrics = resp.read().decode().splitlines()
    assert "bpfopa_prefilter_enabled 1.0" in metrics
    logs = demo.compose("logs", "--no-color", "bpfopa").stdout
    assert "field projection off" not in logs
    assert "prefilter off" not in logs
