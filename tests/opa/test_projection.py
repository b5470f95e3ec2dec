"""Safety of the field projection against the real OPA and the bundled policies: the alerts
of projected documents are exactly those of the full documents.

The corpus: every document the policies' own rule tests build (``doc := testing.exec({...})``
and the like in ``*_test.rego``, evaluated by OPA itself, so it covers each rule's positive
and negative cases), the benchmark generator's mix at several violation rates, and bulky
variants of all of them (long environments, many ancestors, cgroups) as a real host sends.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from benchmarks.policy_input import generate
from bpfopa._paths import POLICIES_DIR
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from bpfopa.policy._projection import ProjectionPlan, derive_plan
from tests.conftest import OpaServer

BATCH = 400


def _terms(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node and "value" in node:
            yield node
        for value in node.values():
            yield from _terms(value)
    elif isinstance(node, list):
        for value in node:
            yield from _terms(value)


def _is_testing_call(term: dict[str, Any]) -> bool:
    if term.get("type") != "call":
        return False
    op = term["value"][0]["value"]
    return isinstance(op, list) and op[0].get("type") == "var" and op[0]["value"] == "testing"


def _rule_test_documents(opa: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """The documents the rule tests build with data.bpfopa.lib.testing, evaluated by OPA."""
    texts: list[str] = []
    for test_file in sorted(POLICIES_DIR.rglob("*_test.rego")):
        parsed = subprocess.run(
            [opa, "parse", "--format", "json", "--json-include", "locations,-comments", test_file],
            capture_output=True,
            check=True,
        ).stdout
        for term in _terms(json.loads(parsed)):
            if not _is_testing_call(term):
                continue
            # Only self-contained calls: every var is the `testing` import or a builtin's name.
            names = {t["value"] for t in _terms(term["value"]) if t["type"] == "var"}
            if names <= {"testing", "object", "concat", "array"}:
                texts.append(base64.b64decode(term["location"]["text"]).decode())
    corpus = tmp_path / "corpus.rego"
    corpus.write_text(
        "package projection_corpus\n\nimport data.bpfopa.lib.testing\n\ndocs := [\n"
        + ",\n".join(texts)
        + "\n]\n"
    )
    out = subprocess.run(
        [opa, "eval", "--format", "json", "-d", POLICIES_DIR, "-d", corpus,
         "data.projection_corpus.docs"],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    docs: list[dict[str, Any]] = json.loads(out)["result"][0]["expressions"][0]["value"]
    return docs


def _bulky(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The document with what a real host adds: long env, cgroups, capabilities, ancestors."""
    doc = copy.deepcopy(doc)
    process = doc.setdefault("process", {})
    if not isinstance(process, dict):
        return doc
    env = process.get("env") if isinstance(process.get("env"), list) else []
    process["env"] = [*env, *(f"VAR_{i}={'x' * rng.randint(5, 80)}" for i in range(40))]
    process["cgroup"] = ["0::/system.slice/" + "a" * 120]
    process["cap_effective"] = [f"CAP_{i}" for i in range(41)]
    ancestors = process.get("ancestors") if isinstance(process.get("ancestors"), list) else []
    process["ancestors"] = [
        *ancestors,
        *({"pid": i, "name": f"p{i}", "exe": f"/bin/p{i}", "cmdline": "c" * 300} for i in range(3)),
    ]
    if isinstance(process.get("parent"), dict):
        process["parent"]["env"] = list(process["env"])
    return doc


@pytest.fixture(scope="module")
def plan(opa_binary: Path) -> ProjectionPlan:
    return derive_plan([POLICIES_DIR], binary=opa_binary)


@pytest.fixture(scope="module")
def corpus(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    rule_docs = _rule_test_documents(opa_binary, tmp_path_factory.mktemp("corpus"))
    assert len(rule_docs) >= 200, "the rule tests should give a document per test"
    generated: list[dict[str, Any]] = []
    for seed, rate in ((1, 0.05), (2, 0.5), (3, 1.0)):
        generated += generate(1500, seed=seed, violation_rate=rate)["events"]
    rng = random.Random(7)
    docs = rule_docs + generated
    return docs + [_bulky(doc, rng) for doc in docs]


async def _alerts(session: aiohttp.ClientSession, url: str, events: list[Any]) -> list[bytes]:
    async with session.post(
        f"{url}/v1/data/bpfopa/main/alerts", data=orjson.dumps({"input": {"events": events}})
    ) as resp:
        assert resp.status == 200, await resp.text()
        body = orjson.loads(await resp.read())
    return sorted(orjson.dumps(a, option=orjson.OPT_SORT_KEYS) for a in body["result"])


async def test_projected_documents_give_exactly_the_same_alerts(
    opa_server: OpaServer, plan: ProjectionPlan, corpus: list[dict[str, Any]]
) -> None:
    projection = plan.projection()
    assert not projection.keeps_everything
    assert plan.keep_sites == [], "a rule uses a whole top-level part of the document"
    full_bytes = projected_bytes = 0
    alerts_seen: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for start in range(0, len(corpus), BATCH):
            full = corpus[start : start + BATCH]
            projected = [projection.apply(doc) for doc in full]
            full_bytes += len(orjson.dumps(full))
            projected_bytes += len(orjson.dumps(projected))
            expected = await _alerts(session, opa_server.url, full)
            assert await _alerts(session, opa_server.url, projected) == expected
            alerts_seen.update(orjson.loads(a)["id"] for a in expected)
    # The corpus must exercise the rules (not compare empty sets) ...
    assert len(alerts_seen) >= 45, sorted(alerts_seen)
    # ... and the projection must actually cut the documents.
    assert projected_bytes < 0.6 * full_bytes


async def test_client_sends_projected_documents_and_alerts_keep_full_ones(
    opa_server: OpaServer, plan: ProjectionPlan
) -> None:
    events = generate(200, seed=5, violation_rate=0.5)["events"]
    async with OpaClient(OpaClientConfig(url=opa_server.url)) as full_client:
        expected = await full_client.evaluate(events)
    async with OpaClient(OpaClientConfig(url=opa_server.url)) as client:
        await client.set_projection_plan(plan)
        assert client.projection is not None and not client.projection.keeps_everything
        got = await client.evaluate(events)
    assert got.alerts and sorted(map(repr, got.alerts)) == sorted(map(repr, expected.alerts))


async def test_exception_fields_join_the_projection(
    opa_binary: Path, plan: ProjectionPlan, tmp_path: Path
) -> None:
    """An exception on a field no rule reads (process.euid) still suppresses its alert."""
    violations = generate(100, violation_rate=1.0)["events"]
    shadow = next(d for d in violations if d["event"].get("path") == "/etc/shadow")
    excepted = copy.deepcopy(shadow)
    excepted["process"]["euid"] = 4321
    assert "process.euid" not in plan.projection().paths()
    exceptions = tmp_path / "exceptions"
    exceptions.mkdir()
    (exceptions / "data.json").write_text(
        json.dumps({"bpfopa": {"exceptions": {"global": [{"process.euid": [4321]}]}}})
    )
    async with (
        ManagedOpa(extra_policies=[exceptions], binary=opa_binary) as opa,
        OpaClient(OpaClientConfig(url=opa.url)) as client,
    ):
        await client.set_projection_plan(plan)
        assert client.projection is not None
        assert "process.euid" in client.projection.paths()
        evaluation = await client.evaluate([shadow, excepted])
    assert [(a.index, a.id) for a in evaluation.alerts] == [(0, "read_sensitive_file_untrusted")]


async def test_syscall_index_holds_only_documents_of_its_syscall(
    opa_server: OpaServer, corpus: list[dict[str, Any]]
) -> None:
    """The per-syscall projection's premise: lib/events.by_syscall[name] lists only positions
    of documents whose event.name is name (a rule package then sees no other document)."""
    events = corpus[:BATCH] + corpus[-BATCH:]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{opa_server.url}/v1/data/bpfopa/lib/events/by_syscall",
            data=orjson.dumps({"input": {"events": events}}),
        ) as resp,
    ):
        assert resp.status == 200
        index = orjson.loads(await resp.read())["result"]
    assert index, "the index is empty: the premise is not exercised"
    for name, positions in index.items():
        assert all(events[i]["event"]["name"] == name for i in positions), name
