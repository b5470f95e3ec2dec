"""The prefilter's pure logic: RE2 -> Python translation, constant checks, the decision, and
the dedup stage's accounting. Its equality with the Rego is tests/opa/test_prefilter.py's job;
the constants here are hand-made (the real ones come from OPA)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bpfopa.pipeline import Channel, Deduplicator, DedupStage, PipelineConfig
from bpfopa.policy import Prefilter, PrefilterData, compile_go_regex


def test_go_end_anchor_is_end_of_text() -> None:
    pattern = compile_go_regex(r"release_agent$|(^|/)(auth\.log)$")
    assert pattern.search("/sys/x/release_agent")
    assert not pattern.search("/sys/x/release_agent\n")  # Python's bare $ would match
    assert pattern.search("/var/log/auth.log")
    assert not pattern.search("/var/log/auth.log\n")
    # "$" inside a class or escaped stays a literal dollar.
    assert compile_go_regex(r"[$]x").search("$x")
    assert compile_go_regex(r"\$x").search("$x")
    assert compile_go_regex(r"[]$]").search("$")
    assert compile_go_regex(r"[^]$]").search("a")
    assert not compile_go_regex(r"[^]$]").search("$")


@pytest.mark.parametrize("pattern", [r"\pL", r"\PN", "[[:alpha:]]", "(?m)^a$", r"a\z", "(?U)a+"])
def test_re2_syntax_without_python_equivalent_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="RE2 syntax"):
        compile_go_regex(pattern)


def test_unicode_classes_are_ascii_as_in_go() -> None:
    assert not compile_go_regex(r"^\w+$").search("é")
    assert not compile_go_regex(r"\d").search("٣")  # Arabic-Indic digit three


def _data(**overrides: Any) -> PrefilterData:
    events: dict[str, Any] = {
        "open_syscalls": ["open", "openat", "openat2"],
        "exec_syscalls": ["execve", "execveat"],
        "open_any_mode_paths": r"^/etc/shadow|/\.",
        "open_written_paths": r"^/usr/|release_agent$",
        "raw_path_traversal": "../",
        "exec_process_names": ["bash", "nc"],
        "exec_exe_paths": "^/(memfd:|dev/shm/)",
        "exec_cwd_prefix": "/dev/shm",
        "exec_cmdline_markers": ["stratum", "base64"],
        "exec_ancestor_names": ["mysqld", "nginx"],
        "exec_env_marker": "GLIBC_TUNABLES",
        "exec_container_init_vpid": 1,
        "open_exec_mode_bits": 73,
        "open_process_names": ["tar"],
        "connect_syscalls": ["connect"],
        "connect_process_names": ["python3", "node"],
        "connect_udp_proto": "udp",
        "connect_sockaddr_params": ["uservaddr", "addr"],
        "connect_exe_suffix": "ssh",
    }
    events.update(overrides)
    syscalls = ["openat", "openat2", "execve", "connect"]
    return PrefilterData.from_opa(events, ["nobody"], syscalls)


def _open(path: Any, flags: Any = 0, name: str = "openat", **params: Any) -> dict[str, Any]:
    event = {"name": name, "ret": 3, "path": path, "params": {"flags": flags, **params}}
    return {"event": event}


def _exec(ret: Any = 0, **process: Any) -> dict[str, Any]:
    base = {"name": "ls", "exe": "/usr/bin/ls", "cwd": "/", "cmdline": "ls", "user": "alice"}
    return {"event": {"name": "execve", "ret": ret}, "process": {**base, **process}}


def test_opens() -> None:
    prefilter = Prefilter(_data())
    assert prefilter.keep(_open("/etc/shadow"))
    assert prefilter.keep(_open("/home/a/.ssh/id_rsa"))
    assert not prefilter.keep(_open("/usr/lib/libc.so.6"))  # written path, read only
    assert prefilter.keep(_open("/usr/lib/libc.so.6", 1))
    assert prefilter.keep(_open("/usr/lib/libc.so.6", 0o102))  # O_RDWR|O_CREAT
    assert not prefilter.keep(_open("/usr/lib/libc.so.6", 3))  # access mode 3 is not a write
    assert not prefilter.keep(_open("/tmp/x", 1))
    assert prefilter.keep(_open("/tmp/x", 0, filename="a/../b"))
    assert prefilter.keep(_open("/tmp/x", 0, pathname="../b"))
    openat2 = {"event": {"name": "openat2", "path": "/usr/x", "params": {"how": {"flags": 2}}}}
    assert prefilter.keep(openat2)
    # Declared by no rule: "open" is in open_syscalls but not in main.syscalls.
    assert not prefilter.keep(_open("/etc/shadow", name="open"))
    assert prefilter.candidate(_open("/etc/shadow", name="open"))


def test_execs() -> None:
    prefilter = Prefilter(_data())
    assert not prefilter.keep(_exec())
    assert prefilter.keep(_exec(name="bash"))
    assert not prefilter.keep(_exec(-2, name="bash"))  # failed: no exec rule looks
    assert prefilter.keep(_exec(user="nobody"))
    assert prefilter.keep(_exec(exe="/memfd:x (deleted)"))
    assert prefilter.keep(_exec(cwd="/dev/shm/a"))
    assert prefilter.keep(_exec(cmdline="miner -o stratum+tcp://x"))
    assert prefilter.keep(_exec(exe_upper_layer=True))
    assert not prefilter.keep(_exec(exe_upper_layer=1))  # == true in Rego: only true
    # Set membership is exact for any type (Rego: not a member).
    assert not prefilter.keep(_exec(name=5, user=None))
    assert prefilter.keep(_exec(cmdline="sh -c echo aWQ= | base64 -d"))
    assert prefilter.keep(_exec(parent={"name": "mysqld"}))
    assert prefilter.keep(_exec(ancestors=[{"name": "sh"}, {"name": "nginx"}]))
    assert not prefilter.keep(_exec(parent={"name": "bash"}, ancestors=[{"name": "sshd"}]))
    assert prefilter.keep(_exec(env=["HOME=/", "glibc_tunables=x"]))
    assert not prefilter.keep(_exec(env=["HOME=/", "GLIBC=1"]))
    assert prefilter.keep(_exec(env=[5]))  # upper() errs in Rego: the copy keeps it
    assert prefilter.keep(_exec(vpid=1)) and prefilter.keep(_exec(vpid=1.0))
    assert not prefilter.keep(_exec(vpid=True)) and not prefilter.keep(_exec(vpid=2))


def test_opens_by_process_and_creation_mode() -> None:
    prefilter = Prefilter(_data())
    in_container = {"container": {"id": "41e5c07cc310"}, "name": "app"}
    assert prefilter.keep(_open("/tmp/x", 0o101, mode=0o755) | {"process": in_container})
    assert not prefilter.keep(_open("/tmp/x", 0o101, mode=0o644) | {"process": in_container})
    assert not prefilter.keep(_open("/tmp/x", 0o101, mode=0o755) | {"process": {"name": "app"}})
    assert prefilter.keep(_open("/app/data", 0) | {"process": {"name": "tar"}})
    assert prefilter.keep(_open("/app/data", 0) | {"process": "tar"})  # not judged: kept


def _connect(event: dict[str, Any] | None = None, **process: Any) -> dict[str, Any]:
    base = {"name": "connect", "ret": 0, "params": {"uservaddr": {"address": "1.2.3.4"}}}
    proc = {"name": "app", "exe": "/usr/bin/app", "container": None, **process}
    return {"event": {**base, **(event or {})}, "process": proc}


def test_connects() -> None:
    prefilter = Prefilter(_data())
    assert not prefilter.keep(_connect())
    assert prefilter.keep(_connect(name="python3"))
    assert prefilter.keep(_connect({"fd": {"proto": "udp"}}))
    assert not prefilter.keep(_connect({"fd": {"proto": "tcp"}}))
    assert not prefilter.keep(_connect({"fd": "udp"}))  # undefined in Rego: exact
    assert prefilter.keep(_connect(container={"id": "41e5c07cc310"}))
    assert not prefilter.keep(_connect(container="41e5c07cc310"))
    assert prefilter.keep(_connect({"params": {"addr": {"name": "pool.example"}}}))
    assert not prefilter.keep(_connect({"params": {"addr": {"name": None}}}))
    assert not prefilter.keep(_connect({"params": {"peer": {"name": "pool.example"}}}))
    assert prefilter.keep(_connect(exe="/usr/bin/ssh"))
    assert not prefilter.keep(_connect(exe="/usr/sbin/sshd"))
    assert prefilter.keep(_connect(exe=None))  # endswith would err: kept
    assert prefilter.keep({"event": {"name": "connect"}, "process": "x"})


@pytest.mark.parametrize(
    "doc",
    [
        None,
        "x",
        {"event": None},
        {"event": {"name": None}},
        {"event": {"name": ["openat"]}},
        _open(None),
        _open(7),
        _open("/usr/x", True),
        _open("/usr/x", 1.0),
        _open("/usr/x", None),
        _open("/tmp/x", 0, filename=b"../"),
        {"event": {"name": "openat", "path": "/tmp/x", "params": "flags"}},
        _exec(None),
        _exec("0"),
        _exec(False),
        _exec(0, exe=None),
        _exec(0, cwd=["/dev/shm"]),
        {"event": {"name": "execve", "ret": 0}},
        {"event": {"name": "execve", "ret": 0}, "process": "bash"},
        {"event": {"name": "execve"}, "process": {}},
    ],
)
def test_what_the_copy_cannot_judge_is_kept(doc: Any) -> None:
    assert Prefilter(_data()).keep(doc)


def test_missing_fields_are_undefined_as_in_rego() -> None:
    prefilter = Prefilter(_data())
    assert not prefilter.keep({"event": {"name": "openat", "ret": 3}})
    assert not prefilter.keep({"event": {"name": "execve", "ret": 0}, "process": {}})


def test_split_keeps_order_and_counts() -> None:
    prefilter = Prefilter(_data())
    docs = [_open("/tmp/a"), _open("/etc/shadow"), {"event": {"name": "close"}}, _exec(name="nc")]
    kept, judged = prefilter.split(docs)
    assert kept == [docs[1], docs[3]] and judged == 2
    assert prefilter.split([]) == ([], 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"open_any_mode_paths": 5}, "not a string"),
        ({"open_written_paths": "(unclosed"}, "does not compile"),
        ({"exec_exe_paths": r"\pL"}, "RE2 syntax"),
        ({"exec_process_names": ["bash", 5]}, "not a set of strings"),
        ({"exec_syscalls": "execve"}, "not a set of strings"),
        ({"exec_cwd_prefix": None}, "not a string"),
    ],
)
def test_malformed_constants_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _data(**overrides)


def test_missing_constants_are_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        PrefilterData.from_opa(None, [], [])
    with pytest.raises(ValueError, match="exec_syscalls is undefined"):
        PrefilterData.from_opa({"open_syscalls": []}, [], [])
    with pytest.raises(ValueError, match=r"main\.syscalls"):
        PrefilterData.from_opa({}, [], None)


async def test_dedup_stage_prefilters_before_deduplicating() -> None:
    inbox: Channel[list[Any]] = Channel("dedup", 1000)
    outbox: Channel[list[Any]] = Channel("batch", 1000)
    stage = DedupStage(Deduplicator(0.05, 100), inbox, outbox, Prefilter(_data()))
    await stage.start()
    shadow = _open("/etc/shadow")
    await inbox.put([_open("/tmp/a"), shadow, dict(shadow), {"event": {"name": "mmap"}}])
    for _ in range(5000):  # until the stage has taken the first batch
        if stage.stats.received == 4:
            break
        await asyncio.sleep(0.001)
    stage.prefilter = None  # switched off (policies changed): everything goes on
    await inbox.put([_open("/tmp/b")])
    inbox.close()
    await asyncio.wait_for(stage.wait(), 5)
    out: list[Any] = []
    while (items := await outbox.get()) is not None:
        out += items
    # The first /etc/shadow passes at once; its repeat comes out as the summary document when
    # the window closes, which may be after /tmp/b.
    assert out[0]["event"]["path"] == "/etc/shadow"
    assert sorted(d["event"]["path"] for d in out) == ["/etc/shadow", "/etc/shadow", "/tmp/b"]
    assert [d.get("repeat") for d in out if d["event"]["path"] == "/etc/shadow"] == [1, 1]
    assert stage.stats.received == 5 and stage.stats.prefiltered == 2
    assert stage.stats.snapshot()["prefiltered"] == 2
    assert stage.dedup.merged == 0  # a single repeat is its own summary: nothing merged into it


def test_config_knob() -> None:
    assert PipelineConfig().prefilter == "auto"
    with pytest.raises(ValueError, match="prefilter must be one of"):
        PipelineConfig(prefilter="on")
    with pytest.raises(ValueError, match="prefilter_refresh_s"):
        PipelineConfig(prefilter_refresh_s=0)


def test_compiled_patterns_are_search_patterns() -> None:
    data = _data()
    assert isinstance(data.open_any_mode_paths, re.Pattern)
    assert data.open_any_mode_paths.flags & re.ASCII
