# METADATA
# title: bpfopa batched entrypoint
# description: >-
#   Evaluates every rule in data.bpfopa.rules over a batch {"events": [doc, ...]}. Each rule
#   package's batch_alerts visits only the documents of the syscalls it declares
#   (custom.syscalls), through the shared index data.bpfopa.lib.events.by_syscall,
#   so the cost follows the number of (event, interested rule) pairs, not events x rules,
#   and no rule is evaluated per event under `with input as doc`. Alerts carry the event's
#   index in input.events; disabled rules are not evaluated and user exceptions are applied
#   here.
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

# Each enabled rule is evaluated once per batch: its batch_alerts are [index, alert] pairs.
# (Evaluating rules per event under `with input as doc` cost ~300 µs per event: a `with`
# scope drops OPA's caches, so every constant a rule used was rebuilt for each event.)
alerts contains object.union(alert, {"index": i}) if {
	some id, _ in _rules
	some [i, alert] in data.bpfopa.rules[id].batch_alerts
	not exceptions.excepted(id, input.events[i], _exceptions)
}

# Every syscall some rule needs: the capture attaches exactly these.
syscalls contains name if {
	some id
	some name in data.bpfopa.rules[id].syscalls
}
