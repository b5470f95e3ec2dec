# METADATA
# title: "PTRACE anti-debug attempt"
# description: >-
#   A program called ptrace(PTRACE_TRACEME) so no debugger can attach to it: typical of
#   malware avoiding analysis.
# custom:
#   id: ptrace_anti_debug_attempt
#   priority: NOTICE
#   tags: ["maturity_stable", "host", "container", "process", "mitre_defense_evasion", "T1622"]
#   syscalls: [ptrace]
package bpfopa.rules.ptrace_anti_debug_attempt

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

# rule, id, priority and tags of every alert of this rule, once per query.
_metadata := result.metadata(rego.metadata.chain())

# custom.enabled of the METADATA (false: off unless data.bpfopa.config.enabled_rules names it).
enabled_by_default := config.enabled_by_default(rego.metadata.chain())

# [index, alert] for each document of the batch input {"events": [doc, ...]} that this rule
# flags. Only the documents of the rule's syscalls are looked at (events.by_syscall).
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.event.name == "ptrace"
	macros.ptrace_request(doc) == "PTRACE_TRACEME"
	macros.proc_name_exists(doc)
	msg := "Detected potential PTRACE_TRACEME anti-debug attempt"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
