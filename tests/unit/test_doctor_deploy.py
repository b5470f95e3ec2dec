"""The deployment files, checked without a Docker engine: YAML, the Compose schema, our keys.

The compose demo itself runs in tests/container/test_compose_demo.py; its OPA entry point runs
against real OPA in tests/opa/test_opa_container_script.py.
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


def test_opa_service_serves_on_loopback_with_the_token_and_read_only_policies(
    compose: dict[str, Any],
) -> None:
    opa = compose["services"]["opa"]
    assert opa["entrypoint"] == ["bpfopa-opa", "serve", "/opt/bpfopa/policies"]
    assert opa["network_mode"] == "host"
    assert opa["environment"]["BPFOPA_OPA_ADDR"].startswith("127.0.0.1:")
    assert "./policies:/opt/bpfopa/policies:ro" in opa["volumes"]
    assert "run:/run/bpfopa:ro" in opa["volumes"]
    assert "ports" not in opa
    assert opa["healthcheck"]["test"] == ["CMD", "bpfopa-opa", "health"]
    assert opa["depends_on"] == {"token": {"condition": "service_completed_successfully"}}
    assert compose["services"]["token"]["entrypoint"] == ["bpfopa-opa", "token"]


def test_bpfopa_service_uses_the_token_policies_and_host_kernel_mounts(
    compose: dict[str, Any],
) -> None:
    svc = compose["services"]["bpfopa"]
    assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (PROJECT_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
    # The real CLI accepts the command (compose's ${VAR:-default} replaced by its default).
    argv = [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", arg) for arg in svc["command"]]
    args = build_parser().parse_args(argv)
    assert args.opa_url == "http://127.0.0.1:8181"
    assert str(args.opa_token_file) == "/run/bpfopa/opa-token"
    assert [str(p) for p in args.policies] == ["/opt/bpfopa/policies"]
    assert args.metrics_addr == "127.0.0.1:9464"
    assert svc["depends_on"] == {"opa": {"condition": "service_healthy"}}
    assert svc["pid"] == "host"
    assert svc["network_mode"] == "host"
    mounts = {volume.split(":")[1]: volume for volume in svc["volumes"]}
    for needed in ("/sys/kernel/btf", "/sys/kernel/tracing", "/lib/modules", "/usr/src"):
        assert mounts[needed] == f"{needed}:{needed}:ro"
    assert "ports" not in svc


def test_compose_has_no_not_run_caveat() -> None:
    for path in (COMPOSE, DOCKERFILE):
        text = path.read_text().lower()
        assert "not been run" not in text and "not run here" not in text, path


def test_dockerfile_builds_from_the_offline_base_with_the_pinned_opa() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG BASE=bpfopa-base:local$", text, re.M)
    assert re.search(r"^FROM \$\{BASE\}$", text, re.M)
    assert "apt-get" not in text  # the base holds the Debian packages
    assert f"ARG OPA_VERSION={OPA_VERSION}" in text
    assert re.search(r'^ENTRYPOINT \["bpfopa"\]$', text, re.M)
    # Every COPY source exists (or, for the wheels, is what deploy/base-image.sh prepares before
    # a build) and the build context's ignore file lets it through.
    ignore = (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
    base_image_script = (PROJECT_ROOT / "deploy" / "base-image.sh").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for item in source.split():
            if item == ".cache/wheels":
                assert 'WHEELS="$ROOT/.cache/wheels"' in base_image_script
            else:
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
