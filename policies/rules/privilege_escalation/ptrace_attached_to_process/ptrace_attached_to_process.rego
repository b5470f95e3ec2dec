# METADATA
# title: "PTRACE attached to process"
# description: >-
#   A ptrace request that attaches to or writes into another process (ATTACH, SEIZE,
#   POKETEXT, POKEDATA, SETREGS): code injection or a debugger. Attempts count, successful
#   or not, as in Falco.
# custom:
#   id: ptrace_attached_to_process
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "mitre_privilege_escalation", "T1055.008"]
#   syscalls: [ptrace]
package bpfopa.rules.ptrace_attached_to_process

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
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
	request := macros.ptrace_request(doc)
	request in lists.ptrace_attach_requests
	macros.proc_name_exists(doc)
	msg := sprintf("Detected ptrace %s attempt (pid=%v)", [request, object.get(doc.event.params, "pid", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
