# METADATA
# title: What the probes may drop before userspace
# description: >-
#   For every syscall some rule declares, how the probes filter its records in the kernel
#   (bpfopa/capture/_kfilter.py loads this document into BPF maps). Derived from the literals of
#   lib/events.by_syscall's prefilter, which every rule reads documents through: the probes drop
#   only records that by_syscall would drop anyway, so no alert is lost (the pipeline checks
#   that every rule package reads through by_syscall, and turns a syscall's filter off
#   otherwise).
package bpfopa.kernel_filter

import data.bpfopa.lib.events

# syscall name -> one of
#   {"filter": "path", "any_mode": ..., "written": ..., "write_access_modes": [...], "rules": [...]}:
#     an open is written only when its path is a candidate of events.open_any_mode or, when the
#     access mode (flags & 3) is one of write_access_modes, of events.open_written;
#   {"filter": "none", "reason": ..., "rules": [...]}: every record is written.
# "rules": the ids of the rules that declare the syscall.
syscalls[name] := spec if {
	some name in data.bpfopa.main.syscalls
	spec := object.union(_spec(name), {"rules": _rules_of(name)})
}

_spec(name) := {
	"filter": "none",
	"reason": sprintf("rules that need opens beyond the path literals are on: %s", [concat(", ", sort(on))]),
} if {
	name in events.open_syscalls
	on := events.open_unfiltered_rules & data.bpfopa.main.enabled_rules
	count(on) > 0
} else := {
	"filter": "path",
	"any_mode": events.open_any_mode,
	"written": events.open_written,
	"write_access_modes": events.open_write_access_modes,
} if {
	name in events.open_syscalls
} else := {
	"filter": "none",
	"reason": "lib/events.by_syscall has no path prefilter for this syscall",
}

_rules_of(name) := sort([id |
	some id
	name in data.bpfopa.rules[id].syscalls
])
