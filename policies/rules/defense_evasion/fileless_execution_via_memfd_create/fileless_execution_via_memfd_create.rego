# METADATA
# title: "Fileless execution via memfd_create"
# description: >-
#   A program was executed from a memfd_create anonymous file: the payload never touched the
#   disk. The kernel shows such an executable as /memfd:<name> (deleted).
# custom:
#   id: fileless_execution_via_memfd_create
#   priority: CRITICAL
#   tags: ["maturity_stable", "host", "container", "process", "mitre_defense_evasion", "T1620"]
#   syscalls: [execve, execveat]
package bpfopa.rules.fileless_execution_via_memfd_create

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
	_from_memfd(doc.process)
	macros.spawned_process(doc)
	msg := sprintf("Fileless execution via memfd_create (exe=%s)", [doc.process.exe])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_from_memfd(process) if process.exe_from_memfd == true

# Documents from before the capture set exe_from_memfd (or recorded elsewhere).
_from_memfd(process) if startswith(process.exe, "/memfd:")
