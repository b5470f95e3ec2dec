"""Custom rules that are broken in the ways issue 11 met, for the fault-isolation and load
validation tests. Each is a complete rule package in the shape of policies/rules/."""

from __future__ import annotations

from pathlib import Path


def _rule(rule_id: str, body: str, *, syscalls: str = "[openat]", priority: str = "WARNING") -> str:
    return f"""# METADATA
# title: "Custom {rule_id}"
# custom:
#   id: {rule_id}
#   priority: {priority}
#   tags: ["custom"]
#   syscalls: {syscalls}
package bpfopa.rules.{rule_id}

import data.bpfopa.lib.events
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

_metadata := result.metadata(rego.metadata.chain())
{body}"""


#: Two values for one complete rule whenever a batch holds /etc/shadow: OPA answers 500
#: eval_conflict_error for the whole request.
CONFLICTING = _rule(
    "custom_conflict",
    """
_level := "high" if {
	some doc in input.events
	doc.event.path == "/etc/shadow"
}

_level := "low" if {
	some doc in input.events
	doc.event.path == "/etc/shadow"
}

batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.event.path == "/etc/shadow"
	_level == "high"
	alert := result.alert(_metadata, doc, "custom conflict")
}
""",
)

#: Divides by zero on every open: silently undefined in a server without strict built-in
#: errors; the load-time dry evaluation (strict) must find it.
DIVIDES_BY_ZERO = _rule(
    "custom_divide",
    """
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	ratio := count(doc.event.path) / 0
	ratio > 1
	alert := result.alert(_metadata, doc, "custom divide")
}
""",
)

#: Names a syscall that does not exist.
MISSPELT_SYSCALL = _rule(
    "custom_misspelt",
    """
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.event.path == "/dev/bpfopa-misspelt"
	alert := result.alert(_metadata, doc, "custom misspelt")
}
""",
    syscalls="[opennat]",
)

#: A well-formed rule (the hot-reload tests add it). Its path passes lib/events' open
#: prefilter (any path below /dev/, /dev/shm included), which decides what the rules reading
#: events.by_syscall see.
GOOD = _rule(
    "custom_good",
    """
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.event.path == "/dev/shm/bpfopa-custom-good"
	alert := result.alert(_metadata, doc, "custom good")
}
""",
)


def missing_id() -> str:
    """GOOD without its custom.id line."""
    return GOOD.replace("#   id: custom_good\n", "")


def write_rule(directory: Path, name: str, text: str) -> Path:
    """``directory/<name>/<name>.rego``; returns the file."""
    (directory / name).mkdir(parents=True, exist_ok=True)
    path = directory / name / f"{name}.rego"
    path.write_text(text)
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line number of the ``occurrence``-th line of ``text`` containing ``needle``."""
    rows = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return rows[occurrence - 1]
