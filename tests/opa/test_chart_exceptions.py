"""docs/kubernetes.md's namespace exception, end to end: rendered by the Helm chart into its
policies ConfigMap, loaded by the real OPA beside the default rules, it silences the alert of a
pod in that namespace and only there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from tests.conftest import require

CHART = PROJECT_ROOT / "deploy" / "helm" / "bpfopa"
HELM = PROJECT_ROOT / ".bin" / "helm"
EXCEPTIONS = {"global": [{"process.container.pod.namespace": ["kube-system"]}]}


def rendered_custom_dir(tmp_path: Path) -> Path:
    require(HELM.is_file(), f"{HELM} missing (scripts/setup.sh installs Helm)")
    proc = subprocess.run(
        [str(HELM), "template", "bpfopa", str(CHART),
         "--set-json", f"policies.exceptions={json.dumps(EXCEPTIONS)}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    config = next(
        doc for doc in yaml.safe_load_all(proc.stdout) if doc and doc["kind"] == "ConfigMap"
    )
    custom = tmp_path / "custom"  # what the pod mounts at /etc/bpfopa/custom
    custom.mkdir()
    for name, text in config["data"].items():
        (custom / name).write_text(text)
    return custom


def rule_ids(opa_binary: Path, custom: Path, namespace: str) -> list[str]:
    pod = {"name": "web-0", "namespace": namespace, "uid": "u1", "labels": {}, "ip": None}
    overrides = {
        "process": {
            "name": "cat", "exe": "/usr/bin/cat", "args": ["/etc/shadow"], "argv0": "cat",
            "cmdline": "cat /etc/shadow",
            "container": {"id": "41e5c07cc310", "runtime": "docker", "pod": pod},
        }
    }  # fmt: skip
    query = (
        f'doc := data.bpfopa.lib.testing.open("/etc/shadow", 0, {json.dumps(overrides)}); '
        'ids := [a.id | some a in data.bpfopa.main.alerts with input as {"events": [doc]}]'
    )
    proc = subprocess.run(
        [str(opa_binary), "eval", "--format=json", "-d", str(POLICIES_DIR), "-d", str(custom),
         query],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["result"][0]["bindings"]["ids"]
    return sorted(result)


def test_namespace_exception_from_the_chart_silences_only_that_namespace(
    opa_binary: Path, tmp_path: Path
) -> None:
    custom = rendered_custom_dir(tmp_path)
    assert "read_sensitive_file_untrusted" in rule_ids(opa_binary, custom, "shop")
    assert "read_sensitive_file_untrusted" not in rule_ids(opa_binary, custom, "kube-system")
