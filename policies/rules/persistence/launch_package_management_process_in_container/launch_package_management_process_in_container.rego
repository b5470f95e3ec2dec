# METADATA
# title: "Launch Package Management Process in Container"
# description: >-
#   A package manager ran inside a running container; containers should be immutable and
#   packages installed when the image is built.
# custom:
#   id: launch_package_management_process_in_container
#   priority: ERROR
#   tags: ["maturity_incubating", "container", "process", "software_mgmt", "mitre_persistence", "T1505"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_package_management_process_in_container

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
	doc.process.name in lists.package_mgmt_binaries
	macros.spawned_process(doc)
	macros.container(doc)
	doc.process.user != "_apt"
	not macros.package_mgmt_ancestor_procs(doc)
	msg := "Package management process launched in container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
