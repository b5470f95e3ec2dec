"""The field registry (policies/fields.json): Falco's names, values from documents, masking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from bpfopa.errors import FieldRegistryError
from bpfopa.output import (
    MASK,
    AlertBuilder,
    FieldRegistry,
    mask_env,
    process_summary,
    secret_values,
)

#: The Falco fields issue 9 names, plus the container/k8s ones the container metadata fills.
FALCO_NAMES = (
    "evt.type", "evt.time", "proc.name", "proc.exepath", "proc.cmdline", "proc.pname",
    "proc.tty", "user.name", "user.uid", "fd.name", "container.id", "container.name",
    "container.image.repository", "container.image.tag", "container.privileged",
    "k8s.ns.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.labels", "k8s.pod.ip",
)  # fmt: skip

REGISTRY = FieldRegistry.load()


def container_doc() -> dict[str, Any]:
    return {
        "event": {"name": "execve", "time": "2026-11-28T09:30:00Z", "ret": -2, "error": "ENOENT",
                  "path": "/usr/sbin/debugfs"},
        "process": {
            "pid": 7, "ppid": 6, "tid": 7, "name": "debugfs", "exe": "/usr/sbin/debugfs",
            "argv0": "debugfs", "args": ["-w", "/dev/sda1"], "cmdline": "debugfs -w /dev/sda1",
            "uid": 0, "user": "root", "tty": 0,
            "env": ["PATH=/bin", "GITHUB_TOKEN=ghp_x", "DATABASE_URL=postgres://app:hunter2@db/x"],
            "container": {
                "id": "41e5c07cc310", "full_id": "41e5c07cc310" + "0" * 52, "runtime": "docker",
                "name": "web", "image": {"repository": "nginx", "tag": "1.27", "digest": None},
                "privileged": True,
                "pod": {"name": "web-0", "namespace": "prod", "uid": "u-1", "labels": {"a": "b"},
                        "ip": None},
            },
            "parent": {"pid": 6, "name": "sh", "env": ["AWS_SECRET_ACCESS_KEY=abc"]},
            "ancestors": [{"pid": 5, "name": "containerd-shim", "cmdline": "shim --secret x"}],
        },
    }  # fmt: skip


def test_registry_has_falcos_names_for_what_both_know() -> None:
    missing = [name for name in FALCO_NAMES if name not in REGISTRY.specs]
    assert missing == []
    assert set(REGISTRY.default) <= set(REGISTRY.specs)
    assert not any(REGISTRY.specs[name].sensitive for name in REGISTRY.default)


def test_container_and_k8s_values() -> None:
    fields = REGISTRY.output_fields(container_doc(), ["container.privileged", "k8s.pod.ip"])
    assert fields["container.id"] == "41e5c07cc310" and fields["container.name"] == "web"
    assert fields["container.image.repository"] == "nginx"
    assert fields["container.image.tag"] == "1.27"
    assert fields["container.privileged"] is True
    assert fields["k8s.pod.name"] == "web-0" and fields["k8s.ns.name"] == "prod"
    assert fields["k8s.pod.ip"] is None  # unknown stays null
    assert fields["evt.res"] == "ENOENT" and fields["evt.rawres"] == -2
    assert fields["proc.exe"] == "debugfs" and fields["proc.exepath"] == "/usr/sbin/debugfs"
    assert fields["fd.name"] == "/usr/sbin/debugfs"  # no fd: the path argument


def test_host_process_and_unknown_container_fields() -> None:
    doc = container_doc()
    doc["process"]["container"] = None
    fields = REGISTRY.output_fields(doc, ["container.privileged"])
    assert fields["container.id"] == "host" and fields["container.name"] == "host"
    assert fields["container.image.repository"] is None
    assert fields["container.privileged"] is None and fields["k8s.pod.name"] is None
    # A container whose runtime metadata is not known (yet): only the id.
    doc["process"]["container"] = {"id": "abc"}
    fields = REGISTRY.output_fields(doc)
    assert fields["container.id"] == "abc" and fields["container.name"] is None


def test_extra_fields_and_unknown_names() -> None:
    fields = REGISTRY.output_fields(container_doc(), ["proc.args", "no.such.field"])
    assert fields["proc.args"] == "-w /dev/sda1"
    assert "no.such.field" in fields and fields["no.such.field"] is None
    assert "proc.env" not in REGISTRY.output_fields(container_doc())


def test_env_is_masked_by_name_and_in_urls() -> None:
    env = ["PATH=/bin", "GITHUB_TOKEN=ghp_x", "db_password=p", "PWD=/root", "NOEQUALS",
           "DATABASE_URL=postgres://app:hunter2@db/x", "AWS_SECRET_ACCESS_KEY=abc",
           "SSH_AUTH_SOCK=/tmp/a", "MY_API_KEY=k", "HTTP_PROXY=http://u:pw@proxy:3128"]  # fmt: skip
    assert mask_env(env) == [
        "PATH=/bin", f"GITHUB_TOKEN={MASK}", f"db_password={MASK}", "PWD=/root", "NOEQUALS",
        f"DATABASE_URL=postgres://app:{MASK}@db/x", f"AWS_SECRET_ACCESS_KEY={MASK}",
        f"SSH_AUTH_SOCK={MASK}", f"MY_API_KEY={MASK}", f"HTTP_PROXY=http://u:{MASK}@proxy:3128",
    ]  # fmt: skip
    assert mask_env("not a list") == MASK and mask_env(None) is None
    fields = REGISTRY.output_fields(container_doc(), ["proc.env"])
    assert fields["proc.env"][1] == f"GITHUB_TOKEN={MASK}"


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_no_secret_in_an_alert(mode: str) -> None:
    builder = AlertBuilder(REGISTRY, "h", mode)
    alert = builder.build(
        container_doc(), rule="R", priority="WARNING", output="m", tags=[],
        output_fields=["proc.env"],
    )  # fmt: skip
    text = orjson.dumps(alert).decode()
    for secret in ("ghp_x", "hunter2", "AWS_SECRET_ACCESS_KEY=abc"):
        assert secret not in text
    # Ancestors' command lines are in the full document only (the user asked for it).
    assert ("shim --secret" in text) is (mode == "full")
    assert ("input" in alert) is (mode == "full")
    assert alert["process"] == process_summary(container_doc())
    assert alert["process"]["parent"] == {"pid": 6, "name": "sh"}
    assert alert["process"]["ancestors"] == [{"pid": 5, "name": "containerd-shim"}]
    assert alert["process"]["container_id"] == "41e5c07cc310"
    assert alert["output"].endswith(
        "container_id=41e5c07cc310 container_name=web proc.env="
        + (orjson.dumps(alert["output_fields"]["proc.env"]).decode() + ")")
    )


def test_context_text_labels() -> None:
    fields = REGISTRY.output_fields(container_doc())
    text = REGISTRY.context_text(fields)
    assert text.startswith("(evt_type=execve user=root user_uid=0 user_loginuid=<NA> ")
    assert "process=debugfs proc_exepath=/usr/sbin/debugfs parent=sh" in text


def write(tmp_path: Path, fields: Any) -> Path:
    path = tmp_path / "fields.json"
    path.write_bytes(orjson.dumps({"bpfopa": {"fields": fields}}))
    return path


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"registry": {"a": {"path": []}}}, "path must be a non-empty list"),
        ({"registry": {"a": {"path": ["x"], "transform": "upper"}}}, "unknown transform"),
        ({"registry": {"a": {"path": ["x"]}}, "default": ["b"]}, "unknown fields"),
        ({"registry": {"a": {"path": ["x"], "sensitive": True}}, "default": ["a"]}, "opt in"),
        ({}, "no bpfopa.fields.registry"),
    ],
)
def test_bad_registry_is_refused_with_the_reason(tmp_path: Path, fields: Any, message: str) -> None:
    with pytest.raises(FieldRegistryError, match=message):
        FieldRegistry.load(write(tmp_path, fields))
    with pytest.raises(FieldRegistryError, match="cannot read"):
        FieldRegistry.load(tmp_path / "absent.json")


def test_secrets_quoted_elsewhere_are_scrubbed_too() -> None:
    document = container_doc()
    document["process"]["cmdline"] = "curl -H 'Authorization: ghp_x' http://db"
    alert = AlertBuilder(REGISTRY, "h", "full").build(
        document, rule="R", priority="NOTICE", tags=[],
        output="proxy env (env=HTTP_PROXY=http://u:hunter2@p GITHUB_TOKEN=ghp_x)",
    )  # fmt: skip
    text = orjson.dumps(alert).decode()
    assert "ghp_x" not in text and "hunter2" not in text
    assert "(env=HTTP_PROXY=http://u:***@p GITHUB_TOKEN=***)" in alert["output"]
    assert alert["output_fields"]["proc.cmdline"] == "curl -H 'Authorization: ***' http://db"
    assert alert["input"]["process"]["cmdline"] == alert["output_fields"]["proc.cmdline"]
    # Short values ("1", "yes") are masked in proc.env but not hunted through the text.
    assert secret_values({"process": {"env": ["DEBUG_TOKEN=1"]}}) == frozenset()
