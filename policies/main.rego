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

import data.bpfopa.lib.config
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

# The rule switches (data.bpfopa.config, see lib/config.rego): `enabled_rules` turns on
# rules that are off by default. Only an object counts.
default _config := {}

_config := data.bpfopa.config if is_object(data.bpfopa.config)

# rule id -> the syscalls it declares, for the rules that are on: every rule but those whose
# package METADATA says `enabled: false` (a rule without `enabled_by_default` is on), and
# those data.bpfopa.config.enabled_rules names.
_switched_on[id] := names if {
	some id
	names := data.bpfopa.rules[id].syscalls
	not _off_by_default(id)
}

_switched_on[id] := names if {
	some id in config.enabled_rules(_config)
	names := data.bpfopa.rules[id].syscalls
}

_off_by_default(id) if data.bpfopa.rules[id].enabled_by_default == false

# The ids of the rules that are on.
enabled_rules := {id | some id, _ in _switched_on}

# ... less those the user's exceptions disable.
_rules[id] := names if {
	some id, names in _switched_on
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

# Every syscall some rule that is on needs (disabled by exceptions or not): the capture
# attaches exactly these, so a rule that is off by default costs no capture.
syscalls contains name if {
	some names in _switched_on
	some name in names
}
