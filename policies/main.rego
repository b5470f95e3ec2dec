# METADATA
# title: bpfopa batched entrypoint
# description: >-
#   Evaluates every rule in data.bpfopa.rules over a batch {"events": [doc, ...]}. Rules are
#   indexed once by the syscalls they declare in their METADATA (custom.syscalls); each event
#   is looked up by its syscall name and evaluated only by the rules that declared it, so the
#   cost follows the number of (event, interested rule) pairs, not events x rules. Alerts
#   carry the event's index in input.events.
# entrypoint: true
package bpfopa.main

import data.bpfopa.lib.exceptions

# User exceptions live at data.bpfopa.exceptions (a data file of the user's, or
# PUT /v1/data/bpfopa/exceptions); the shipped empty defaults sit at a path of their own,
# data.bpfopa.defaults.exceptions, so a user's file never conflicts with them when OPA merges.
default _user_exceptions := {}

# Malformed exception data must not turn every alert off: only an object counts.
_user_exceptions := data.bpfopa.exceptions if is_object(data.bpfopa.exceptions)

default _default_exceptions := {}

_default_exceptions := data.bpfopa.defaults.exceptions if is_object(data.bpfopa.defaults.exceptions)

_exceptions := object.union(_default_exceptions, _user_exceptions)

# rule id -> the syscalls it declares, for the rules that are switched on.
_rules[id] := names if {
	some id
	names := data.bpfopa.rules[id].syscalls
	not exceptions.disabled(id, _exceptions)
}

# The index: syscall name -> ids of the rules that declared it. Built once per query from
# the rules' METADATA; each event then costs one lookup by its name and is handed only to
# the rules interested in that syscall.
_rules_by_syscall := {name: {id | some id, names in _rules; name in names} | some name in syscalls}

alerts contains object.union(alert, {"index": i}) if {
	some i, doc in input.events
	ids := _rules_by_syscall[doc.event.name]

	# One `with` per event: it resets OPA's caches, so it is not repeated per rule.
	found := _evaluate(ids) with input as doc
	some alert in found
	not exceptions.excepted(alert.id, doc, _exceptions)
}

_evaluate(ids) := {alert | some id in ids; some alert in data.bpfopa.rules[id].alerts}

# Every syscall some rule needs: the capture attaches exactly these.
syscalls contains name if {
	some id
	some name in data.bpfopa.rules[id].syscalls
}
