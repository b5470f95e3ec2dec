# METADATA
# title: bpfopa batched entrypoint
# description: >-
#   Evaluates every rule in data.bpfopa.rules over a batch {"events": [doc, ...]}. Events are
#   indexed by syscall name once; each rule is evaluated only over the events of the syscalls
#   it declares in its METADATA (custom.syscalls), so the cost follows the number of
#   (event, interested rule) pairs, not events x rules. Alerts carry the event's index.
# entrypoint: true
package bpfopa.main

import data.bpfopa.lib.exceptions

# User exceptions (policies/data.json, or PUT /v1/data/bpfopa/exceptions).
default _exceptions := {}

_exceptions := data.bpfopa.exceptions

# syscall name -> indices of the batch's events with that name.
_by_syscall[name] contains i if {
	some i, doc in input.events
	name := doc.event.name
}

# rule id -> the syscalls it declares, for the rules that are switched on.
_rules[id] := names if {
	some id
	names := data.bpfopa.rules[id].syscalls
	not exceptions.disabled(id, _exceptions)
}

alerts contains object.union(alert, {"index": i}) if {
	some id, names in _rules
	some name in names
	some i in _by_syscall[name]
	doc := input.events[i]
	found := data.bpfopa.rules[id].alerts with input as doc
	some alert in found
	not exceptions.excepted(id, doc, _exceptions)
}

# Every syscall some rule needs: the capture attaches exactly these.
syscalls contains name if {
	some id
	some name in data.bpfopa.rules[id].syscalls
}
