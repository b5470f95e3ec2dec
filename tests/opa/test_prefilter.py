"""The client-side prefilter (bpfopa/policy/_prefilter.py) against the real OPA and policies.

The Python copy mirrors the shape of ``data.bpfopa.lib.events.by_syscall``'s tests and reads
their constants from OPA. This differential test is what keeps the copy safe: on a corpus of
ordinary documents, documents built from every entry of the lists the prefilter reads, near
misses of them, every document the rules' own tests build and hostile values, the positions
Python keeps must be exactly OPA's ``by_syscall`` positions (well-formed documents), and never
fewer (any document). A fingerprint of the Rego tests' structure makes a change of the
structure alone (a new test) fail here even when no corpus document exercises it.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from benchmarks.policy_input import generate
from bpfopa._paths import POLICIES_DIR
from bpfopa.errors import PolicyEngineError
from bpfopa.output import CallbackSink
from bpfopa.pipeline import Pipeline, PipelineConfig, QueueSource
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig, Prefilter, load_prefilter
from tests.conftest import OpaServer
from tests.opa.test_projection import _rule_test_documents

Doc = dict[str, Any]

#: sha256 of the structure (locations and comments stripped) of the rules in
#: policies/lib/events.rego that the Python copy mirrors. When this fails, the Rego prefilter's
#: tests changed: mirror the change in bpfopa/policy/_prefilter.py, extend the corpus below so
#: that it exercises it, then update the fingerprint.
MIRRORED_RULES = (
    "by_syscall",
    "_by_name",
    "_prefiltered",
    "_open_candidates",
    "_write_mode",
    "_exec_candidates",
    "_connect_candidates",
)
STRUCTURE_SHA256 = "e81435fe1e42bcd848b8c05ded27593410a8d4683dc35d253763f0a875e6a954"


def _base_process(**extra: Any) -> Doc:
    process: Doc = {
        "pid": 4242,
        "name": "app",
        "exe": "/usr/bin/app",
        "args": [],
        "cmdline": "app",
        "cwd": "/srv",
        "uid": 1000,
        "user": "alice",
        "container": None,
    }
    process.update(extra)
    return process


def _open(path: Any, flags: Any = 0, *, name: str = "openat", **params: Any) -> Doc:
    event: Doc = {
        "name": name,
        "ret": 3,
        "path": path,
        "params": {"dfd": -100, "filename": path, "flags": flags, "mode": 0, **params},
    }
    return {"event": event, "process": _base_process()}


def _openat2(path: str, how_flags: Any) -> Doc:
    event = {"name": "openat2", "ret": 3, "path": path, "params": {"how": {"flags": how_flags}}}
    return {"event": event, "process": _base_process()}


def _exec(ret: Any = 0, syscall: str = "execve", **process: Any) -> Doc:
    event = {"name": syscall, "ret": ret, "params": {}}
    return {"event": event, "process": _base_process(**process)}


def _connect(event: Doc | None = None, **process: Any) -> Doc:
    base: Doc = {
        "name": "connect",
        "ret": 0,
        "params": {"fd": 3, "uservaddr": {"family": "AF_INET", "address": "1.2.3.4", "port": 443}},
        "fd": {"num": 3, "type": "ipv4", "name": "1.2.3.4:443"},
    }
    return {"event": {**base, **(event or {})}, "process": _base_process(**process)}


def _near_paths(path: str) -> list[str]:
    return [path, "/tmp" + path, path + "x", path + "/", path + "\n", path.upper(), path[1:]]


async def _data(session: aiohttp.ClientSession, url: str, path: str) -> Any:
    async with session.get(f"{url}/v1/data/{path}") as resp:
        assert resp.status == 200, await resp.text()
        return orjson.loads(await resp.read()).get("result")


async def _lists_corpus(session: aiohttp.ClientSession, url: str) -> list[Doc]:
    """Every entry of the lists behind the prefilter's constants, as matching opens and execs,
    with near misses: prefixes and suffixes, every access mode, failed execs."""
    lists = await _data(session, url, "bpfopa/lib/lists")
    events = await _data(session, url, "bpfopa/lib/events")
    below = [f"{d}/x" for key in ("sensitive_directories", "shell_config_directories",
             "bin_dirs", "monitored_directories", "log_directories", "repository_directories")
             for d in lists[key]]  # fmt: skip
    paths = [
        *lists["sensitive_file_names"],
        *lists["shell_config_files"],
        *lists["shell_config_filenames"],
        *(f"/home/alice/{n}" for n in lists["shell_config_filenames"]),
        *lists["log_files"],
        *(f"/srv/app/{n}" for n in lists["log_files"]),
        *below,
        "/home/alice/.ssh/id_rsa", "/root/.bash_history", "/dev/sdz", "/var/lib/rpm/Packages",
        "/etc/cron.d/job", "/etc/crontab", "/etc/apt/sources.list", "/etc/yum.repos.d/x.repo",
        "/sys/fs/cgroup/x/release_agent", "/tmp/.hidden", ".env", "a/../b", "/etc/hosts",
        "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/status", "/var/log",
        "/etc/hosts.new", "/root/x", "/app.bin", "/", "/proc/self/exe", "/proc/self/fd/3",
        "/proc/self/exec", "/proc/1/environ", "/proc/self/environ", "/proc/environ",
        "/host/etc/shadow", "/rootfs/x", "/hostfs", "/dev/mem", "/srv/host/x",
    ]  # fmt: skip
    docs: list[Doc] = []
    for path in dict.fromkeys(p for base in paths for p in _near_paths(base)):
        for flags in (0, 1, 2, 3, 0o101, 0o102, 0o1101, 0x80000):
            docs.append(_open(path, flags))
        docs.append(_open(path, 0, name="open"))
        for how in (0, 1, 2, 3):
            docs.append(_openat2(path, how))
    in_container = {"id": "41e5c07cc310"}
    for mode in (0, 0o644, 0o755, 0o100, 0o010, 0o001, 0o4000):
        for container in (in_container, None):
            doc = _open("/tmp/implant", 0o101, mode=mode)
            doc["process"]["container"] = container
            docs.append(doc)
            how = _openat2("/tmp/implant", 0o101)
            how["event"]["params"]["how"]["mode"] = mode
            how["process"]["container"] = container
            docs.append(how)
    for name in [*events["open_process_names"], "tarx", "star", "SSHD", None, 5]:
        for path in ("/app/data.db", "/usr/lib/liblzma.so.5.6.1"):
            doc = _open(path, 0)
            doc["process"]["name"] = name
            docs.append(doc)
    for raw in ("../etc/hosts", "a/..", "..", "./x", "a/../../b"):
        docs.append(_open("/etc/hosts", 0, filename=raw))
        docs.append(_open("/etc/hosts", 0, pathname=raw, filename="/etc/hosts"))
    names = [*events["exec_process_names"], "git", "ls", "python3"]
    for name in names:
        for variant in (name, name + "x", "x" + name, name.upper()):
            docs += [_exec(0, n, name=variant) for n in ("execve", "execveat")]
            docs.append(_exec(-2, name=variant))
    for user in [*lists["system_users"], "alice", "root", None]:
        docs += [_exec(0, user=user), _exec(-1, user=user), _exec(0, user=f"{user}x")]
    for exe in ("/memfd:x (deleted)", "/dev/shm/x", "/dev/shmx", "/tmp/dev/shm/x", "memfd:",
                "/usr/bin/memfd:x", "/dev/shm", "/memfd"):  # fmt: skip
        docs += [_exec(0, exe=exe), _exec(-1, exe=exe)]
    for cwd in ("/dev/shm", "/dev/shm/a", "/dev/shmx", "/dev/sh", "/tmp/dev/shm"):
        docs += [_exec(0, cwd=cwd), _exec(-1, cwd=cwd)]
    for cmdline in ("xmrig -o stratum+tcp://pool:3333", "stratu", "STRATUM", "a stratum b"):
        docs += [_exec(0, cmdline=cmdline), _exec(-13, cmdline=cmdline)]
    for cmdline in ("sh -c echo aGk= | base64 -d", "base6", "BASE64 -d"):
        docs += [_exec(0, cmdline=cmdline), _exec(-1, cmdline=cmdline)]
    for parent in [*({"name": n} for n in events["exec_ancestor_names"]), {"name": "mysql"},
                   {"name": None}, {}, None, "postgres"]:  # fmt: skip
        docs += [_exec(0, parent=parent), _exec(-1, parent=parent)]
        docs += [_exec(0, ancestors=[{"name": "bash"}, parent]), _exec(-1, ancestors=[parent])]
    for ancestors in ([], None, [{"name": "nginx"}], [None, {"name": "npm"}], [{"pid": 1}]):
        docs.append(_exec(0, ancestors=ancestors))
    for env in (["GLIBC_TUNABLES=glibc.malloc.mxfast=1"], ["x=glibc_tunables"], ["GLIBC=1"],
                ["A=1", "B=Glibc_Tunables"], [], {"a": "GLIBC_TUNABLES=1"}):  # fmt: skip
        docs += [_exec(0, env=env), _exec(-1, env=env)]
    for vpid in (1, 1.0, 2, 0, True, "1", None):
        docs += [_exec(0, vpid=vpid), _exec(-1, vpid=vpid)]
    for upper in (True, False, None, 1, "true"):
        docs += [_exec(0, exe_upper_layer=upper), _exec(-1, exe_upper_layer=upper)]
    for ret in (0, 1, 0.0, -1, -2, 2**40):
        docs.append(_exec(ret, name="bash"))
    for name in [*events["connect_process_names"], "app", "curl"]:
        docs += [_connect(name=name), _connect(name=name + "3x")]
    for extra in (
        {"fd": {"num": 3, "type": "ipv4", "proto": "udp"}},
        {"fd": {"num": 3, "type": "ipv4", "proto": "tcp"}},
        {"fd": {"num": 3, "type": "ipv4", "proto": "UDP"}},
        {"fd": None},
        *({"params": {key: {"family": "AF_INET", "address": "1.2.3.4", "port": 3333,
                            "name": "pool.example"}}} for key in events["connect_sockaddr_params"]),
        {"params": {"uservaddr": {"family": "AF_INET", "name": None}}},
        {"params": {"peer": {"name": "pool.example"}}},
    ):  # fmt: skip
        docs.append(_connect(event=extra))
    for container in ({"id": "41e5c07cc310"}, {}, None, "41e5c07cc310"):
        docs.append(_connect(container=container))
    for exe in ("/usr/bin/ssh", "/usr/bin/autossh", "/usr/sbin/sshd", "/usr/bin/ssh-agent"):
        docs.append(_connect(exe=exe))
    return docs


def _hostile_corpus() -> list[Any]:
    """Values of the wrong type where a test expects a string or number, missing keys,
    documents of the wrong shape, U+FFFD from non-UTF-8 bytes."""
    docs: list[Any] = [None, 5, "doc", [], {}, {"event": None}, {"event": []}, {"event": {}}]
    for bad in (None, 5, 1.5, True, [], ["/etc/shadow"], {"a": 1}):
        docs.append(_open(bad))
        docs.append(_open("/usr/bin/x", bad))  # written-paths match: the flags decide
        docs.append(_open("/tmp/x", bad))
        docs.append(_openat2("/usr/bin/x", bad))
        docs.append({"event": {"name": bad, "ret": 0, "path": "/etc/shadow"}})
        docs.append(_open("/etc/hosts", 0, filename=bad))
        docs.append(_open("/etc/hosts", 0, pathname=bad))
        docs.append({"event": {"name": "openat", "ret": 3, "path": "/usr/x", "params": bad}})
        docs.append({"event": {"name": "openat", "path": "/usr/x", "params": {"how": bad}}})
        docs.append(_exec(bad))
        for key in ("name", "user", "exe", "cwd", "cmdline", "env", "parent", "vpid", "ancestors"):
            docs.append(_exec(0, **{key: bad}))
        docs.append(_exec(0, env=[bad]))
        docs.append(_exec(0, ancestors=[bad, {"name": bad}]))
        docs.append(_open("/tmp/x", 0o101, mode=bad) | {"process": _base_process(container={})})
        how = _openat2("/tmp/x", 0o101) | {"process": _base_process(container={})}
        how["event"]["params"]["how"]["mode"] = bad
        docs.append(how)
        docs.append({"event": {"name": "execve", "ret": 0}, "process": bad})
        docs.append({"event": bad, "process": _base_process()})
        for key in ("name", "exe", "container"):
            docs.append(_connect(**{key: bad}))
        for event in (
            {"fd": bad},
            {"fd": {"proto": bad}},
            {"params": bad},
            {"params": {"uservaddr": bad}},
            {"params": {"addr": {"name": bad}}},
        ):
            docs.append(_connect(event))
        docs.append({"event": {"name": "connect"}, "process": bad})
    docs += [
        {"event": {"name": "openat", "ret": 3}},  # no path, no params
        {"event": {"name": "execve", "ret": 0}},  # no process
        {"event": {"name": "execve"}, "process": _base_process(name="bash")},  # no ret
        {"event": {"name": "execve", "ret": 0}, "process": {}},
        _open("/etc/shad\ufffdow"),
        _open("/root/.ba\ufffdshrc", 1),
        _open("/usr/bin/\ufffd", 1),
        _exec(0, name="ba\ufffdsh"),
        _exec(0, cwd="/dev/shm/\ufffd"),
        _open("/" + "a" * 100_000 + "/.x"),
        _exec(0, cmdline="x " * 50_000 + "stratum"),
    ]
    return docs


@pytest.fixture(scope="module")
def rule_documents(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    return _rule_test_documents(opa_binary, tmp_path_factory.mktemp("prefilter-corpus"))


async def _opa_positions(session: aiohttp.ClientSession, url: str, events: list[Any]) -> set[int]:
    payload = orjson.dumps({"input": {"events": events}})
    async with session.post(f"{url}/v1/data/bpfopa/lib/events/by_syscall", data=payload) as resp:
        assert resp.status == 200, await resp.text()
        by_syscall = orjson.loads(await resp.read())["result"]
    positions = {i for indices in by_syscall.values() for i in indices}
    # by_syscall[name] holds only documents named `name` (a non-string name shows here as
    # its JSON text): a position means "in by_syscall[its own name]".
    for name, indices in by_syscall.items():
        names = [events[i]["event"]["name"] for i in indices]
        assert all(n == name for n in names if isinstance(n, str)), (name, names)
    return positions


async def _prefilter(url: str) -> Prefilter:
    async with OpaClient(OpaClientConfig(url=url)) as client:
        return await load_prefilter(client)


async def test_candidates_equal_opa_by_syscall(
    opa_server: OpaServer, rule_documents: list[Doc]
) -> None:
    prefilter = await _prefilter(opa_server.url)
    async with aiohttp.ClientSession() as session:
        lists_docs = await _lists_corpus(session, opa_server.url)
        generated = [
            doc for seed in (1, 2, 3, 4) for doc in generate(1000, seed=seed)["events"]
        ] + generate(500, seed=5, violation_rate=1.0)["events"]
        exact = [*generated, *lists_docs, *rule_documents]
        hostile = _hostile_corpus()
        compared = 0
        outcomes: Counter[tuple[str, bool]] = Counter()
        for corpus, must_equal in ((exact, True), (hostile, False)):
            for start in range(0, len(corpus), 2000):
                batch = corpus[start : start + 2000]
                opa = await _opa_positions(session, opa_server.url, batch)
                python = {i for i, doc in enumerate(batch) if prefilter.candidate(doc)}
                missed = sorted(opa - python)
                assert not missed, [batch[i] for i in missed[:5]]  # unsound: never allowed
                if must_equal:
                    extra = sorted(python - opa)
                    assert not extra, [batch[i] for i in extra[:5]]
                compared += len(batch)
                for i, doc in enumerate(batch):
                    if must_equal:
                        outcomes[doc["event"]["name"][:4], i in opa] += 1
    # The corpus exercises both outcomes of both prefiltered families.
    assert compared > 10_000
    for family in ("open", "exec", "conn"):
        assert outcomes[family, True] > 100 and outcomes[family, False] > 100, outcomes


async def test_hostile_documents_are_kept(opa_server: OpaServer) -> None:
    """Whatever OPA makes of them, documents the copy cannot judge are sent."""
    prefilter = await _prefilter(opa_server.url)
    for doc in (
        None,
        _open(None),
        _open(5),
        _open("/usr/bin/x", True),
        _open("/usr/bin/x", 1.0),
        _open("/etc/hosts", 0, filename=["../"]),
        _exec(None),
        _exec("0"),
        _exec(True),
        _exec(0, exe=None),
        _exec(0, cwd=5),
        _exec(0, cmdline=["stratum"]),
        {"event": {"name": "execve"}, "process": _base_process()},
        {"event": {"name": ["openat"]}},
    ):
        assert prefilter.keep(doc), doc


async def test_keep_also_drops_syscalls_no_rule_declares(opa_server: OpaServer) -> None:
    prefilter = await _prefilter(opa_server.url)
    async with aiohttp.ClientSession() as session:
        declared = set(await _data(session, opa_server.url, "bpfopa/main/syscalls"))
        docs = generate(2000, seed=11)["events"]
        opa = await _opa_positions(session, opa_server.url, docs)
    expected = [i in opa and doc["event"]["name"] in declared for i, doc in enumerate(docs)]
    assert [prefilter.keep(doc) for doc in docs] == expected
    names = {doc["event"]["name"] for doc, kept in zip(docs, expected, strict=True) if not kept}
    assert {"close", "mmap"} <= names  # declared by no rule
    kept, dropped = prefilter.split(docs)
    assert dropped == expected.count(False) and len(kept) == expected.count(True)
    assert kept == [doc for doc, keep in zip(docs, expected, strict=True) if keep]


def _structure(opa_binary: Path) -> dict[str, Any]:
    parsed = subprocess.run(
        [opa_binary, "parse", "--format", "json", POLICIES_DIR / "lib" / "events.rego"],
        capture_output=True,
        check=True,
    ).stdout
    rules: dict[str, Any] = {}
    for rule in json.loads(parsed)["rules"]:
        name = rule["head"]["ref"][0]["value"]
        if name in MIRRORED_RULES:
            rules.setdefault(name, []).append(rule)
    return rules


def test_rego_structure_is_the_mirrored_one(opa_binary: Path) -> None:
    rules = _structure(opa_binary)
    assert set(rules) == set(MIRRORED_RULES)
    digest = hashlib.sha256(orjson.dumps(rules, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert digest == STRUCTURE_SHA256, (
        f"the prefilter's tests in policies/lib/events.rego changed (structure {digest}): "
        "mirror them in bpfopa/policy/_prefilter.py, extend tests/opa/test_prefilter.py's "
        "corpus, then pin the new digest"
    )


async def test_missing_or_malformed_constants_switch_it_off(opa_server: OpaServer) -> None:
    class Reader:
        def __init__(self, overrides: dict[str, Any]) -> None:
            self.overrides = overrides

        async def get_data(self, path: str) -> Any:
            if path in self.overrides:
                return copy.deepcopy(self.overrides[path])
            async with OpaClient(OpaClientConfig(url=opa_server.url)) as client:
                return await client.get_data(path)

    async with OpaClient(OpaClientConfig(url=opa_server.url)) as client:
        events = await client.get_data("bpfopa/lib/events")
    cases: list[dict[str, Any]] = [
        {"bpfopa/lib/events": None},
        {"bpfopa/main/syscalls": None},
        {"bpfopa/lib/lists/system_users": ["bin", 5]},
        {"bpfopa/lib/events": {**events, "open_written_paths": 5}},
        {"bpfopa/lib/events": {**events, "exec_exe_paths": r"^\pL"}},
        {"bpfopa/lib/events": {**events, "exec_exe_paths": "(?m)^/x$"}},
        {"bpfopa/lib/events": {**events, "open_any_mode_paths": "[[:alpha:]]"}},
        {"bpfopa/lib/events": {**events, "open_any_mode_paths": "(unclosed"}},
        {"bpfopa/lib/events": {k: v for k, v in events.items() if k != "exec_cwd_prefix"}},
    ]
    for overrides in cases:
        with pytest.raises(PolicyEngineError, match="prefilter unusable"):
            await load_prefilter(Reader(overrides))
    assert isinstance(await load_prefilter(Reader({})), Prefilter)


# -- the pipeline with the prefilter -----------------------------------------------------------


def _alert_keys(alerts: list[Doc]) -> list[bytes]:
    return sorted(
        orjson.dumps(
            [a["rule"], a["priority"], a["output"], a["input"]], option=orjson.OPT_SORT_KEYS
        )
        for a in alerts
        if a.get("source") == "syscall"
    )


async def _run_pipeline(
    url: str, docs: list[Doc], prefilter: str, policy_dirs: tuple[Path, ...] = (POLICIES_DIR,)
) -> tuple[list[Doc], Doc]:
    source = QueueSource()
    alerts: list[Doc] = []
    config = PipelineConfig(
        alert_document="full",
        hostname="h",
        dedup_window_ms=0,
        batch_size=300,
        prefilter=prefilter,
        policy_dirs=policy_dirs,
    )
    async with OpaClient(OpaClientConfig(url=url)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(alerts.extend)], config)
        run = asyncio.create_task(pipeline.run())
        for start in range(0, len(docs), 250):
            await source.put(copy.deepcopy(docs[start : start + 250]))
        await source.stop()
        snapshot = await run
    return alerts, snapshot


async def test_pipeline_alerts_are_the_same_with_and_without_prefilter(
    opa_server: OpaServer, rule_documents: list[Doc]
) -> None:
    async with aiohttp.ClientSession() as session:
        lists_docs = await _lists_corpus(session, opa_server.url)
    docs = [
        *(doc for seed in (1, 2) for doc in generate(1500, seed=seed)["events"]),
        *generate(300, seed=3, violation_rate=1.0)["events"],
        *rule_documents,
        *lists_docs[::3],
    ]
    # Distinct documents (no merging), each traceable in its alert.
    for seq, doc in enumerate(docs):
        doc["event"]["seq"] = seq
        doc["event"].setdefault("time", "2026-11-28T09:30:00.000000001Z")  # not the clock
    with_prefilter, on = await _run_pipeline(opa_server.url, docs, "auto")
    without, off = await _run_pipeline(opa_server.url, docs, "off")
    assert len(_alert_keys(without)) > 300
    assert _alert_keys(with_prefilter) == _alert_keys(without)
    assert on["prefilter"]["enabled"] and not off["prefilter"]["enabled"]
    assert off["prefilter"]["reason"] == "--prefilter off"
    judged = on["stages"]["dedup"]["prefiltered"]
    assert judged == on["prefilter"]["prefiltered"] > len(docs) // 3
    assert off["stages"]["dedup"]["prefiltered"] == 0
    # Zero-loss accounting: every document was either judged locally or evaluated by OPA.
    for snap in (on, off):
        assert sum(sum(s["dropped"].values()) for s in snap["stages"].values()) == 0
        assert snap["stages"]["source"]["received"] == len(docs)
        assert snap["stages"]["dedup"]["prefiltered"] + snap["stages"]["policy"]["emitted"] == (
            len(docs)
        )
    assert on["opa"]["requests"] < off["opa"]["requests"]


async def test_pipeline_without_the_shared_prefilter_sends_everything(tmp_path: Path) -> None:
    """A policy set without lib/events (a custom main): the prefilter switches off, loudly."""
    policy = tmp_path / "main.rego"
    policy.write_text(
        'package bpfopa.main\n\nsyscalls contains "openat"\n\n'
        'alerts contains {"index": i, "rule": "r", "id": "r", "priority": "DEBUG", '
        '"output": "o", "tags": []} if some i, _ in input.events\n'
    )
    docs = generate(200, seed=4)["events"]
    async with ManagedOpa(include_bundled=False, extra_policies=[tmp_path]) as opa:
        alerts, snapshot = await _run_pipeline(opa.url, docs, "auto", (tmp_path,))
    assert not snapshot["prefilter"]["enabled"]
    assert "data.bpfopa.lib.events is undefined" in snapshot["prefilter"]["reason"]
    assert len(_alert_keys(alerts)) == len(docs)


# A custom rule that walks input.events itself: it sees documents lib/events.by_syscall (and
# so the prefilter) leaves out, here ordinary opens of an application's database.
_CUSTOM_RULE = """package bpfopa.rules.custom_app_db

syscalls := {"openat"}

batch_alerts contains [i, alert] if {
	some i, doc in input.events
	doc.event.path == "/var/lib/app/data.db"
	alert := {"rule": "App database opened", "id": "custom_app_db", "priority": "NOTICE",
		"output": "app db", "tags": []}
}
"""


@pytest.mark.parametrize("files_known", [True, False], ids=["files", "remote"])
async def test_prefilter_off_when_a_rule_reads_documents_outside_by_syscall(
    tmp_path: Path, files_known: bool
) -> None:
    (tmp_path / "custom.rego").write_text(_CUSTOM_RULE)
    docs = generate(400, seed=5)["events"]
    for seq, doc in enumerate(docs):
        doc["event"]["seq"] = seq
    app_db_opens = sum(doc["event"].get("path") == "/var/lib/app/data.db" for doc in docs)
    assert app_db_opens > 10
    policy_dirs = (POLICIES_DIR, tmp_path) if files_known else ()
    async with ManagedOpa(extra_policies=[tmp_path]) as opa:
        alerts, snapshot = await _run_pipeline(opa.url, docs, "auto", policy_dirs)
    assert not snapshot["prefilter"]["enabled"]
    reason = snapshot["prefilter"]["reason"]
    if files_known:
        assert reason.endswith("outside lib/events.by_syscall: bpfopa.rules.custom_app_db")
    else:
        assert reason.startswith("cannot check that every rule reads documents through")
    assert [a["rule"] for a in alerts].count("App database opened") == app_db_opens
    assert snapshot["stages"]["dedup"]["prefiltered"] == 0
