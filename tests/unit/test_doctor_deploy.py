"""The deployment files are valid without a Docker engine: YAML, the Compose schema, our keys.

There is no Docker engine on the development hosts, so ``docker compose config`` cannot run; the
Compose specification's own JSON schema (vendored by check-jsonschema) stands in for it. The OPA
healthcheck command is run for real against OPA in tests/opa/test_doctor_compose_health.py.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bpfopa._paths import PROJECT_ROOT
from bpfopa.cli import build_parser
from bpfopa.policy import OPA_VERSION
from tests.conftest import require

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
UNIT = PROJECT_ROOT / "deploy" / "bpfopa.service"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def check_jsonschema_installed() -> None:
    found = importlib.util.find_spec("check_jsonschema") is not None
    require(found, "check-jsonschema not installed (test extra): pip install check-jsonschema")


def test_compose_matches_the_compose_specification_schema() -> None:
    check_jsonschema_installed()
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(COMPOSE)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    # The validator above can fail: a misspelt condition is caught.
    check_jsonschema_installed()
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("service_healthy", "service_happy"))
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(broken)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "service_happy" in proc.stdout


def test_opa_service_runs_the_pinned_server_with_read_only_policies(
    compose: dict[str, Any],
) -> None:
    opa = compose["services"]["opa"]
    assert opa["image"] == f"openpolicyagent/opa:{OPA_VERSION}"
    command = opa["command"]
    assert command[:4] == ["run", "--server", "--addr", "0.0.0.0:8181"]
    assert command[-1] == "/policies"
    assert "./policies:/policies:ro" in opa["volumes"]
    assert (PROJECT_ROOT / "policies").is_dir()
    health = opa["healthcheck"]["test"]
    # The OPA image has no shell or curl: the healthcheck must exec /opa itself.
    assert health[:2] == ["CMD", "/opa"]
    assert "/v1/data/bpfopa/main/syscalls" in health[-1]


def test_bpfopa_service_is_built_privileged_with_host_kernel_mounts(
    compose: dict[str, Any],
) -> None:
    svc = compose["services"]["bpfopa"]
    assert svc["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert (PROJECT_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
    assert svc["command"][:3] == ["run", "--opa-url", "http://opa:8181"]
    # The real CLI accepts the command, and metrics listen where the published port points.
    args = build_parser().parse_args(svc["command"])
    assert args.opa_url == "http://opa:8181"
    assert args.metrics_addr == "0.0.0.0:9464"
    assert svc["depends_on"] == {"opa": {"condition": "service_healthy"}}
    assert svc["privileged"] is True
    assert svc["pid"] == "host"
    mounts = {volume.split(":")[1]: volume for volume in svc["volumes"]}
    for needed in ("/sys/kernel/btf", "/sys/kernel/tracing", "/lib/modules", "/usr/src"):
        assert mounts[needed] == f"{needed}:{needed}:ro"
    assert any(port.endswith(":9464") for port in svc["ports"])


def test_compose_says_it_was_not_run_here() -> None:
    assert "has NOT been run here" in COMPOSE.read_text()


def test_dockerfile_is_debian_bookworm_with_debian_bcc_and_the_project() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM debian:bookworm(-slim)?$", text, re.M)
    assert "python3-bpfcc" in text
    assert "--system-site-packages" in text
    assert re.search(r'^ENTRYPOINT \["bpfopa"\]$', text, re.M)
    # Every COPY source exists and the build context ignore file lets it through.
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for item in source.split():
            assert (PROJECT_ROOT / item).exists(), item
            assert f"!{item}" in ignore or f"!{item}/" in ignore, item


def test_systemd_unit_runs_doctor_before_bpfopa_run() -> None:
    text = UNIT.read_text()
    assert "ExecStartPre=/opt/bpfopa/.venv/bin/bpfopa doctor" in text
    starts = re.findall(r"^ExecStart(?:Pre)?=/opt/bpfopa/\.venv/bin/bpfopa (.*)$", text, re.M)
    assert [argv.split()[0] for argv in starts] == ["doctor", "run"]
    for argv in starts:  # both command lines parse with the real CLI
        assert build_parser().parse_args(argv.split()).handler is not None
    assert "WantedBy=multi-user.target" in text


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze (systemd) not installed")
    assert analyze is not None
    # verify checks that the commands exist: point the unit at this checkout instead of /opt.
    unit = tmp_path / "bpfopa.service"
    unit.write_text(UNIT.read_text().replace("/opt/bpfopa", str(PROJECT_ROOT)))
    proc = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bpfopa.service" not in proc.stderr, proc.stderr


def test_readme_quick_start_is_make_run_and_make_test_and_ci_runs_make_test() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line.split("#", 1)[0].strip() for line in block[1].splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M)
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
