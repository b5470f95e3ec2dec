"""Soundness of the kernel filter against the real OPA and the full policy set.

Every document the kernel filter would drop (bpfopa/capture/_kfilter.py's decision, the one the
probes make: tests/kernel/test_kernel_filter.py) must raise no alert from
``data.bpfopa.main.alerts``, and must not be one of lib/events.by_syscall's candidates. The
corpus: the rules' own test documents, generated host traffic with and without violations,
every entry of the lists behind the prefilter with near misses, and opens built around every
literal of the filter (each prefix, needle and basename cut short, extended, nested, with every
access mode).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from benchmarks.policy_input import generate
from bpfopa._paths import POLICIES_DIR
from bpfopa.capture._kfilter import CompiledFilter, KernelFilter, compile_filter, open_pass_flags
from bpfopa.pipeline._kernel_filter import KernelFilterControl
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig, derive_plan
from tests.conftest import OpaServer
from tests.opa.test_prefilter import (
    _CUSTOM_RULE,
    _data,
    _lists_corpus,
    _opa_positions,
    _open,
    _openat2,
)
from tests.opa.test_projection import _rule_test_documents

Doc = dict[str, Any]
BATCH = 2000


async def _kernel_filter(session: aiohttp.ClientSession, url: str) -> KernelFilter:
    document = await _data(session, url, "bpfopa/kernel_filter/syscalls")
    return compile_filter(document, pass_flags=open_pass_flags("x86_64"), unscoped_rules=[])


def _literal_corpus(document: dict[str, Any]) -> list[Doc]:
    """Opens at and around every literal of the filter."""
    literals: set[str] = set()
    for spec in document.values():
        for key in ("any_mode", "written"):
            for kind, values in (spec.get(key) or {}).items():
                for value in values:
                    literals.add(value if kind == "prefixes" else f"/srv/a/{value}")
                    if kind == "basenames":
                        literals.add(f"/srv/{value}x")
    paths: set[str] = set()
    for literal in literals:
        stem = literal.rstrip("/")
        paths.update({
            literal, stem, stem[:-1], stem + "x", stem + "/x", stem + "/y/z", literal + "x",
            "/x" + stem, stem.upper(), stem.replace("/", "/_", 1), stem[:-2] + stem[-1:],
        })  # fmt: skip
    docs: list[Doc] = []
    for path in sorted(p for p in paths if p):
        for flags in (0, 1, 2, 3, 0o1101, 0o102, 0o2000):
            docs.append(_open(path, flags))
        docs.append(_open(path, 1, name="open"))
        docs.append(_openat2(path, 2))
        docs.append(_openat2(path, 0))
    return docs


async def _alerts(session: aiohttp.ClientSession, url: str, events: list[Doc]) -> list[Any]:
    payload = orjson.dumps({"input": {"events": events}})
    async with session.post(f"{url}/v1/data/bpfopa/main/alerts", data=payload) as resp:
        assert resp.status == 200, await resp.text()
        return list(orjson.loads(await resp.read()).get("result") or [])


def _only_for_rules_that_are_off(doc: Doc) -> bool:
    """The open is a candidate of events.open_unfiltered_rules' tests only."""
    params = doc["event"].get("params") or {}
    how = params.get("how") if isinstance(params.get("how"), dict) else {}
    mode = params.get("mode") or how.get("mode") or 0
    in_container = isinstance(doc["process"].get("container"), dict)
    return (in_container and bool(mode & 0o111)) or doc["process"].get("name") == "tar"


async def _check(
    session: aiohttp.ClientSession, url: str, compiled: CompiledFilter, corpus: list[Doc]
) -> tuple[int, int]:
    """(opens dropped, opens) over ``corpus``; asserts the dropped ones are harmless."""
    dropped_total = opens = 0
    for start in range(0, len(corpus), BATCH):
        batch = corpus[start : start + BATCH]
        dropped = [i for i, doc in enumerate(batch) if not compiled.keeps_document(doc)]
        opens += sum(doc["event"]["name"] in compiled.specs for doc in batch)
        if not dropped:
            continue
        dropped_total += len(dropped)
        # by_syscall also keeps opens for the rules no path literal describes
        # (events.open_unfiltered_rules: a creation mode, a process name). They are off by
        # default, and while one is on the kernel does not filter opens at all
        # (kernel_filter_test.rego), so while they are off the filter may drop those opens.
        candidates = await _opa_positions(session, url, batch)
        unsound = sorted(
            i for i in candidates & set(dropped) if not _only_for_rules_that_are_off(batch[i])
        )
        assert not unsound, [batch[i] for i in unsound[:5]]
        alerts = await _alerts(session, url, [batch[i] for i in dropped])
        assert not alerts, alerts[:3]
    return dropped_total, opens


@pytest.fixture(scope="module")
def rule_documents(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    return _rule_test_documents(opa_binary, tmp_path_factory.mktemp("kfilter-corpus"))


def test_the_bundled_rules_all_read_through_by_syscall() -> None:
    """The premise of the filter on the bundled policies: nothing turns it off."""
    assert derive_plan([Path("policies")]).unscoped_rules == []


async def test_dropped_documents_raise_no_alert(
    opa_server: OpaServer, rule_documents: list[Doc]
) -> None:
    async with aiohttp.ClientSession() as session:
        kernel_filter = await _kernel_filter(session, opa_server.url)
        assert kernel_filter.filtered == {"open", "openat", "openat2"}
        document = await _data(session, opa_server.url, "bpfopa/kernel_filter/syscalls")
        generated = [
            doc for seed in (11, 12, 13) for doc in generate(2000, seed=seed)["events"]
        ] + generate(1000, seed=14, violation_rate=1.0)["events"]
        corpora = {
            "rules": rule_documents,
            "generated": generated,
            "lists": await _lists_corpus(session, opa_server.url),
            "literals": _literal_corpus(document),
        }
        outcomes = {}
        for name, corpus in corpora.items():
            outcomes[name] = await _check(session, opa_server.url, kernel_filter.compiled, corpus)
    # Each corpus has opens on both sides of the filter.
    for name, (dropped, opens) in outcomes.items():
        assert 0 < dropped < opens, (name, outcomes)
    assert sum(opens for _, opens in outcomes.values()) > 10_000, outcomes


async def test_the_filter_follows_the_policies(opa_server: OpaServer) -> None:
    """A new literal in lib/events reaches the probes' tables without any Python change."""
    async with aiohttp.ClientSession() as session:
        document = await _data(session, opa_server.url, "bpfopa/kernel_filter/syscalls")
    spec = document["openat"]
    spec["any_mode"]["prefixes"].append("/opt/secrets/")
    compiled = compile_filter(document, pass_flags=0, unscoped_rules=[]).compiled
    assert compiled.keeps("openat", b"/opt/secrets/key", 0)
    before = compile_filter(
        {"openat": {**spec, "any_mode": {**spec["any_mode"], "prefixes": []}}},
        pass_flags=0,
        unscoped_rules=[],
    ).compiled
    assert not before.keeps("openat", b"/opt/secrets/key", 0)


class _Probes:
    """Stands in for the live source's probes: records what would be loaded."""

    open_pass_flags = 0o200000  # O_DIRECTORY

    def __init__(self) -> None:
        self.loaded: list[CompiledFilter | None] = []

    def set_kernel_filter(self, compiled: CompiledFilter | None) -> None:
        self.loaded.append(compiled)


async def test_a_rule_reading_every_open_turns_its_syscall_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The custom rule reads input.events itself, for openat: openat is not filtered (and the
    log says which rule and why), the other opens still are."""
    caplog.set_level(logging.INFO)
    (tmp_path / "custom.rego").write_text(_CUSTOM_RULE)
    plan = derive_plan([POLICIES_DIR, tmp_path])
    assert plan.unscoped_rules == ["bpfopa.rules.custom_app_db"]
    probes = _Probes()
    control = KernelFilterControl("on")
    async with (
        ManagedOpa(extra_policies=[tmp_path]) as opa,
        OpaClient(OpaClientConfig(url=opa.url)) as client,
    ):
        await control.reload(client, probes, plan.unscoped_rules)
        await control.reload(client, probes, plan.unscoped_rules)  # unchanged: not reloaded
        assert len(probes.loaded) == 1 and probes.loaded[0] is not None
        assert set(probes.loaded[0].specs) == {"open", "openat2"}
        assert not probes.loaded[0].keeps("open", b"/etc/hosts", 0)
        summary = control.summary()
        assert summary["enabled"] and summary["filtered_syscalls"] == ["open", "openat2"]
        assert "custom_app_db" in summary["turned_off"]["openat"]
        lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert lines == [
            "kernel filter off for openat: rule custom_app_db reads documents outside "
            "lib/events.by_syscall, so it may flag any of them"
        ]
        # Without the policy files nothing proves the premise: nothing is filtered.
        await control.reload(client, probes, None)
        assert probes.loaded[-1] is None and not control.summary()["enabled"]
        off = KernelFilterControl("off")
        await off.reload(client, probes, [])
        assert probes.loaded[-1] is None
        assert off.summary()["off_reason"] == "--kernel-filter off"
