# METADATA
# title: "Launch Ingress Remote File Copy Tools in Container"
# description: >-
#   wget, or curl writing what it downloads to a file, was started inside a container.
# custom:
#   id: launch_ingress_remote_file_copy_tools_in_container
#   priority: NOTICE
#   tags: ["maturity_incubating", "container", "network", "process", "mitre_command_and_control", "TA0011"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_ingress_remote_file_copy_tools_in_container

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
	macros.container(doc)
	macros.spawned_process(doc)
	macros.ingress_remote_file_copy(doc)
	msg := "Ingress remote file copy tool launched in container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
