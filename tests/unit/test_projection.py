"""The field projection: derivation from hand-written Rego (parsed by the pinned OPA) and
``Projection.apply`` on documents."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from bpfopa.policy._projection import (
    Projection,
    ProjectionPlan,
    derive_plan,
    exception_field_paths,
)
from bpfopa.policy._projection_tree import PathTree
from bpfopa.policy._rego_parse import policy_files

# Documents come from input.events; helpers take them as arguments.
POLICY = """
package bpfopa.rules.sample

import data.bpfopa.lib.helpers

batch_alerts contains [i, msg] if {
	some i, doc in input.events
	doc.event.name == "openat"
	helpers.is_shell(doc)
	object.get(doc, ["process", "parent", "exe"], "") != "/usr/bin/sudo"
	some a in doc.process.ancestors
	a.exe == "/usr/sbin/sshd"
	msg := sprintf("%s", [doc.event.fd.name])
}

batch_alerts contains [i, "param"] if {
	doc := input.events[i]
	some k in ["filename", "pathname"]
	doc.event.params[k] == "/etc/shadow"
	doc.process.args[0] == "-c"
}

batch_alerts contains [i, "marshal"] if {
	doc := input.events[i]
	doc.event.name == "kill"
	contains(json.marshal(doc.process.container), "docker")
}
"""

HELPERS = """
package bpfopa.lib.helpers

is_shell(doc) if doc.process.name in {"bash", "sh"}

is_shell(doc) if startswith(object.get(doc.process, "exe", ""), "/bin/")
"""

WHOLE = """
package bpfopa.rules.walker

batch_alerts contains [i, "walk"] if {
	doc := input.events[i]
	walk(doc, [_, "evil"])
}
"""


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_derivation_follows_refs_object_get_indexes_and_functions(
    tmp_path: Path, opa_binary: Path
) -> None:
    root = _write(
        tmp_path,
        {
            "rules/sample.rego": POLICY,
            "lib/helpers.rego": HELPERS,
            "rules/sample_test.rego": "package x_test\n\ntest_a if walk(input, [_, 1])\n",
            "lib/testing.rego": "package bpfopa.lib.testing\n\nx := json.marshal(input)\n",
        },
    )
    plan = derive_plan([root], binary=opa_binary)
    # Test files are not what OPA evaluates for alerts: their whole-input uses do not count.
    assert sorted(p.name for p in plan.files) == ["helpers.rego", "sample.rego"]
    assert plan.exception_lookups == []
    assert plan.projection().paths() == [
        "event.fd.name",
        "event.name",
        "event.params",  # a variable key: every parameter
        "process.ancestors.*.exe",  # iteration: each element, only what is read of it
        "process.args",  # a number index: the whole array
        "process.container",  # passed to json.marshal: whole
        "process.exe",  # object.get(doc.process, "exe", ...) in the helper
        "process.name",
        "process.parent.exe",  # object.get with an array path
    ]
    assert [(s.path, s.reason) for s in plan.keep_sites] == []


def test_whole_document_use_keeps_everything(tmp_path: Path, opa_binary: Path) -> None:
    root = _write(tmp_path, {"walker.rego": WHOLE, "lib/helpers.rego": HELPERS})
    plan = derive_plan([root], binary=opa_binary)
    assert plan.keeps_everything
    assert plan.projection().keeps_everything
    [site] = plan.keep_sites
    assert site.path == "" and site.file.endswith("walker.rego") and site.row == 6
    assert "walk" in site.reason


def test_bare_top_level_key_is_reported(tmp_path: Path, opa_binary: Path) -> None:
    rego = (
        "package bpfopa.rules.bare\n\n"
        "batch_alerts contains [i, x] if {\n"
        "\tdoc := input.events[i]\n"
        "\tx := object.keys(doc.process)\n"
        "}\n"
    )
    plan = derive_plan([_write(tmp_path, {"bare.rego": rego})], binary=opa_binary)
    assert plan.projection().paths() == ["process"]
    [site] = plan.keep_sites
    assert (site.path, site.row) == ("process", 5)
    assert "object.keys" in site.reason


def test_computed_exception_paths_are_resolved_from_the_exception_data(
    tmp_path: Path, opa_binary: Path
) -> None:
    rego = (
        "package bpfopa.lib.exceptions\n\n"
        "matches(doc, entry) if {\n"
        "\tevery field, allowed in entry {\n"
        '\t\tobject.get(doc, split(field, "."), null) in allowed\n'
        "\t}\n"
        "}\n\n"
        "hit contains i if {\n"
        "\tsome i, doc in input.events\n"
        "\tmatches(doc, data.entry)\n"
        "\tdoc.event.name\n"
        "}\n"
    )
    plan = derive_plan([_write(tmp_path, {"exceptions.rego": rego})], binary=opa_binary)
    assert len(plan.exception_lookups) == 1
    assert plan.projection().paths() == ["event.name"]
    exceptions = {"rules": {"r": [{"process.cgroup": ["x"]}]}, "global": [{"raw": []}]}
    paths = exception_field_paths(exceptions)
    assert paths == {("process", "cgroup"), ("raw",)}
    assert plan.projection(paths).paths() == ["event.name", "process.cgroup", "raw"]


def test_exception_label_key_in_brackets_is_one_path_step() -> None:
    # As lib/exceptions.rego's field_path reads it: label names hold dots.
    exceptions = {"global": [{"process.container.pod.labels[app.kubernetes.io/name]": ["x"]}]}
    assert exception_field_paths(exceptions) == {
        ("process", "container", "pod", "labels", "app.kubernetes.io/name")
    }


def test_policy_files_skip_tests(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"a.rego": "", "a_test.rego": "", "lib/testing.rego": "", "other/testing.rego": ""},
    )
    assert [p.relative_to(root).as_posix() for p in policy_files([root])] == [
        "a.rego",
        "other/testing.rego",
    ]


def _projection(*paths: str, presence: tuple[str, ...] = ()) -> Projection:
    tree = PathTree()
    for path in paths:
        tree.add(path.split("."), whole=True)
    for path in presence:
        tree.add(path.split("."), whole=False)
    plan = ProjectionPlan(
        trees={"": tree},
        scopes={},
        unscoped_rules=[],
        keep_sites=[],
        exception_lookups=[],
        files=[],
    )
    return plan.projection()


DOC = {
    "event": {"name": "openat", "ret": 3, "params": {"filename": "/x", "flags": 0}},
    "process": {
        "name": "cat",
        "env": ["A=1"] * 50,
        "parent": {"name": "bash", "env": ["B=2"]},
        "ancestors": [{"name": "sshd", "cmdline": "x" * 500}, "not an object"],
        "container": None,
    },
    "repeat": 2,
}


def test_apply_copies_only_the_tree_and_leaves_the_original() -> None:
    original = copy.deepcopy(DOC)
    projection = _projection(
        "event.name", "event.params", "process.parent.name", "process.ancestors.*.name", "repeat"
    )
    assert projection.apply(DOC) == {
        "event": {"name": "openat", "params": {"filename": "/x", "flags": 0}},
        "process": {
            "parent": {"name": "bash"},
            # the non-object element is kept as it is: not the shape the policies expect
            "ancestors": [{"name": "sshd"}, "not an object"],
        },
        "repeat": 2,
    }
    assert original == DOC


def test_apply_keeps_presence_and_unexpected_shapes() -> None:
    projection = _projection("process.name", presence=("process.container", "event.params.fd"))
    doc = {"event": {"params": "not an object"}, "process": {"name": "x", "container": None}}
    assert projection.apply(doc) == doc
    assert projection.apply({"process": {"container": {"id": "a"}}}) == {
        "process": {"container": {}}
    }
    assert projection.apply("not a document") == "not a document"
    assert projection.apply({}) == {}


def test_star_over_an_object_merges_with_named_keys() -> None:
    projection = _projection("event.paths.*.a", "event.paths.old")
    doc = {"event": {"paths": {"old": {"a": 1, "b": 2}, "new": {"a": 3, "b": 4}, "n": 5}}}
    assert projection.apply(doc) == {
        "event": {"paths": {"old": {"a": 1, "b": 2}, "new": {"a": 3}, "n": 5}}
    }


@pytest.mark.parametrize("key", ["it's", 'q"uote', "back\\slash", "new\nline"])
def test_keys_with_quotes_are_safe_in_generated_code(key: str) -> None:
    projection = _projection(f"event.{key}")
    assert projection.apply({"event": {key: 1, "other": 2}}) == {"event": {key: 1}}


SCOPED = """# METADATA
# title: Scoped
# custom:
#   id: scoped
#   syscalls: [openat]
package bpfopa.rules.scoped

import data.bpfopa.lib.events
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

batch_alerts contains [i, "x"] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.process.cwd == "/tmp"
}
"""

# The same shape, but it also reads documents of other syscalls: its reads apply to all.
UNSCOPED = SCOPED.replace("scoped", "unscoped").replace(
    'doc.process.cwd == "/tmp"', 'doc.process.cwd == "/tmp"\n\tinput.events[0].process.tty == 1'
)

LIBS = {
    "lib/events.rego": "package bpfopa.lib.events\n\n"
    "by_syscall[name] := [i | some i, doc in input.events; doc.event.name == name] "
    "if some name in {d.event.name | some d in input.events}\n",
    "lib/result.rego": "package bpfopa.lib.result\n\n"
    "syscalls(chain) := {n | some e in chain; some n in e.annotations.custom.syscalls}\n",
}


def test_rule_packages_limited_to_their_syscalls_project_per_syscall(
    tmp_path: Path, opa_binary: Path
) -> None:
    root = _write(tmp_path, {"scoped.rego": SCOPED, **LIBS})
    plan = derive_plan([root], binary=opa_binary)
    assert plan.scopes == {"bpfopa.rules.scoped": frozenset({"openat"})}
    projection = plan.projection()
    assert projection.paths() == ["event.name"]  # every document: the syscall index
    assert projection.paths("openat") == ["event.name", "process.cwd"]
    doc = {"event": {"name": "execve"}, "process": {"cwd": "/tmp", "tty": 1}}
    assert projection.apply(doc) == {"event": {"name": "execve"}}
    doc["event"]["name"] = "openat"
    assert projection.apply(doc) == {"event": {"name": "openat"}, "process": {"cwd": "/tmp"}}


def test_a_package_reading_other_documents_is_not_scoped(tmp_path: Path, opa_binary: Path) -> None:
    root = _write(tmp_path, {"unscoped.rego": UNSCOPED, **LIBS})
    plan = derive_plan([root], binary=opa_binary)
    assert plan.scopes == {}
    assert plan.projection().paths() == ["event.name", "process.cwd", "process.tty"]
