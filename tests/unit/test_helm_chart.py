"""The Helm chart lints, renders, and every rendered object is valid Kubernetes (schemas checked
offline by kubernetes-validate); the plain manifest in deploy/kubernetes is its default render."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from bpfopa._paths import PROJECT_ROOT
from bpfopa.cli import build_parser
from bpfopa.output import PRIORITY_ORDER
from tests.conftest import require

CHART = PROJECT_ROOT / "deploy" / "helm" / "bpfopa"
MANIFEST = PROJECT_ROOT / "deploy" / "kubernetes" / "bpfopa.yaml"
HELM = PROJECT_ROOT / ".bin" / "helm"
RELEASE, NAMESPACE = "bpfopa", "bpfopa"
# The oldest Kubernetes with native sidecars (init containers with restartPolicy: Always) on.
KUBERNETES_VERSION = "1.29.0"
RENDER = f".bin/helm template {RELEASE} deploy/helm/bpfopa --namespace {NAMESPACE}"


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    require(HELM.is_file(), f"{HELM} missing (scripts/setup.sh installs Helm)")
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )


Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="module")
def render() -> Render:
    def run(*sets: str, values: Path | None = None) -> list[dict[str, Any]]:
        args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE]
        for item in sets:
            args += ["--set", item]
        if values is not None:
            args += ["--values", str(values)]
        proc = helm(*args)
        assert proc.returncode == 0, proc.stderr
        return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]

    return run


def validate(objects: Sequence[dict[str, Any]]) -> None:
    import kubernetes_validate  # the test extra

    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD (prometheus-operator): no schema ships with Kubernetes
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {exc.message} at {exc.path}")


def by_kind(objects: Sequence[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [obj for obj in objects if obj["kind"] == kind]
    assert len(found) == 1, [obj["kind"] for obj in objects]
    return found[0]


def containers(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in [*pod.get("initContainers", []), *pod["containers"]]}


def test_helm_lint_passes_strict() -> None:
    proc = helm("lint", "--strict", str(CHART))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_helm_is_the_pinned_v4() -> None:
    proc = helm("version", "--template", "{{.Version}}")
    assert proc.stdout.strip() == "v4.3.2", proc.stdout + proc.stderr


def test_default_render_is_valid_kubernetes(render: Render) -> None:
    objects = render()
    assert sorted(obj["kind"] for obj in objects) == ["ConfigMap", "DaemonSet", "ServiceAccount"]
    validate(objects)


def test_every_option_renders_valid_kubernetes(render: Render, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "privileged": True,
                "webhook": {"url": "http://falcosidekick.falco.svc:2801/"},
                "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}},
                "policies": {
                    "minPriority": "WARNING",
                    "extraRules": {"my_rule.rego": "package bpfopa.rules.my_rule\n"},
                    "exceptions": {"global": [{"process.name": ["backup-agent"]}]},
                },
                "runtimeSockets": [
                    {"name": "docker", "path": "/var/run/docker.sock"},
                    {"name": "crio", "path": "/run/crio/crio.sock"},
                ],
                "priorityClassName": "system-node-critical",
                "extraArgs": ["--batch-size=200"],
            }
        )
    )
    objects = render(values=values)
    assert sorted(obj["kind"] for obj in objects) == [
        "ConfigMap", "DaemonSet", "Service", "ServiceAccount", "ServiceMonitor",
    ]  # fmt: skip
    validate(objects)
    pod = by_kind(objects, "DaemonSet")["spec"]["template"]["spec"]
    bpfopa = containers(pod)["bpfopa"]
    assert bpfopa["securityContext"]["privileged"] is True
    assert "capabilities" not in bpfopa["securityContext"]
    args = bpfopa["args"]
    assert "--webhook-url=http://falcosidekick.falco.svc:2801/" in args
    assert "--min-priority=WARNING" in args
    parsed = build_parser().parse_args(args)
    assert parsed.batch_size == 200
    # Every socket goes to bpfopa, which asks each which API it serves (CRI or Docker's).
    assert [str(p) for p in parsed.runtime_socket] == [
        "/var/run/docker.sock",
        "/run/crio/crio.sock",
    ]
    mounted = {m["mountPath"] for m in bpfopa["volumeMounts"]}
    assert {"/var/run/docker.sock", "/run/crio/crio.sock"} <= mounted
    config = by_kind(objects, "ConfigMap")["data"]
    assert config["my_rule.rego"] == "package bpfopa.rules.my_rule\n"
    assert yaml.safe_load(config["exceptions.json"]) == {
        "bpfopa": {"exceptions": {"global": [{"process.name": ["backup-agent"]}]}}
    }


def test_the_validator_can_fail(render: Render) -> None:
    import kubernetes_validate

    daemonset = by_kind(render(), "DaemonSet")
    daemonset["spec"]["template"]["spec"]["hostPid"] = True  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(daemonset, KUBERNETES_VERSION, strict=True)


def test_a_rule_file_not_ending_in_rego_is_refused(render: Render) -> None:
    proc = helm(
        "template", RELEASE, str(CHART), "--set-string", "policies.extraRules.notes\\.txt=x"
    )
    assert proc.returncode != 0
    assert "must end in .rego" in proc.stderr


def test_every_priority_renders_an_argument_the_cli_accepts(render: Render) -> None:
    for priority in PRIORITY_ORDER:
        args = containers(by_kind(render(f"policies.minPriority={priority}"), "DaemonSet")[
            "spec"]["template"]["spec"])["bpfopa"]["args"]  # fmt: skip
        assert build_parser().parse_args(args).min_priority == priority


def test_plain_manifest_is_the_default_render() -> None:
    proc = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE)
    assert proc.returncode == 0, proc.stderr
    assert MANIFEST.read_text() == proc.stdout, f"regenerate it: {RENDER} > {MANIFEST}"


def test_daemonset_least_privilege_host_mounts_and_probes(render: Render) -> None:
    objects = render()
    pod = by_kind(objects, "DaemonSet")["spec"]["template"]["spec"]
    assert pod["hostPID"] is True
    assert pod.get("hostNetwork") is not True
    assert pod["automountServiceAccountToken"] is False
    named = containers(pod)
    bpfopa, opa, token = named["bpfopa"], named["opa"], named["opa-token"]
    security = bpfopa["securityContext"]
    assert security["privileged"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert "SYS_ADMIN" not in security["capabilities"]["add"]
    assert security["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in bpfopa["volumeMounts"]}
    for host_path in ("/sys/kernel/btf", "/sys/kernel/tracing", "/lib/modules", "/usr/src",
                      "/run/containerd/containerd.sock", "/etc/passwd"):  # fmt: skip
        mount = mounts[host_path]
        assert mount.get("readOnly") is True, host_path
        assert volumes[mount["name"]]["hostPath"]["path"] == host_path
    # Only the webhook spool is written on the node.
    writable = [m["mountPath"] for m in bpfopa["volumeMounts"] if not m.get("readOnly")]
    assert sorted(writable) == ["/tmp", "/var/lib/bpfopa"]
    assert bpfopa["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert bpfopa["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert {"requests", "limits"} <= bpfopa["resources"].keys()
    # OPA: a native sidecar on the pod's loopback, requiring the per-pod token.
    assert opa["restartPolicy"] == "Always"
    assert {"name": "BPFOPA_OPA_ADDR", "value": "127.0.0.1:8181"} in opa["env"]
    assert opa["command"] == ["bpfopa-opa", "serve"]
    assert opa["startupProbe"]["exec"]["command"] == ["bpfopa-opa", "health"]
    assert opa["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert token["command"] == ["bpfopa-opa", "token"]
    assert volumes["run"]["emptyDir"]["medium"] == "Memory"
    # bpfopa's command line parses, talks to that OPA with the token, and reads the same policies.
    args = build_parser().parse_args(bpfopa["args"])
    assert args.opa_url == "http://127.0.0.1:8181"
    assert str(args.opa_token_file) == "/run/bpfopa/opa-token"
    assert [str(p) for p in args.policies] == opa["args"]
    assert args.metrics_addr == "0.0.0.0:9464"
    # containerd's CRI, read-only (mounted above): pod metadata from the node's runtime.
    assert [str(p) for p in args.runtime_socket] == ["/run/containerd/containerd.sock"]
    annotations = by_kind(objects, "DaemonSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9464"
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}


def test_the_policies_configmap_change_rolls_the_pods(render: Render) -> None:
    def checksum(*sets: str) -> str:
        daemonset = by_kind(render(*sets), "DaemonSet")
        return str(daemonset["spec"]["template"]["metadata"]["annotations"]["checksum/policies"])

    assert checksum() != checksum("policies.exceptions.disabled_rules[0]=x")
