# METADATA
# title: "Debugfs Launched in Privileged Container"
# description: >-
#   debugfs, the file system debugger, was started in a privileged container, which can lead
#   to a container escape.
# custom:
#   id: debugfs_launched_in_privileged_container
#   priority: WARNING
#   tags: ["maturity_stable", "container", "cis", "process", "mitre_privilege_escalation", "T1611"]
#   syscalls: [execve, execveat]
#   output_fields: [container.privileged, container.image.repository, container.image.tag]
package bpfopa.rules.debugfs_launched_in_privileged_container

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
	doc.process.name == "debugfs"
	macros.spawned_process(doc)
	macros.container(doc)
	doc.process.container.privileged == true
	msg := "Debugfs launched started in a privileged container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
