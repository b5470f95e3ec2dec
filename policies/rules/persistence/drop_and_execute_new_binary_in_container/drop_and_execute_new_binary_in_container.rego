# METADATA
# title: "Drop and execute new binary in container"
# description: >-
#   A container executed a binary that is not part of its image: the executable lives in the
#   overlayfs upper (writable) layer, so it was dropped after the container started.
# custom:
#   id: drop_and_execute_new_binary_in_container
#   priority: CRITICAL
#   tags: ["maturity_stable", "container", "process", "mitre_persistence", "TA0003", "PCI_DSS_11.5.1"]
#   syscalls: [execve, execveat]
package bpfopa.rules.drop_and_execute_new_binary_in_container

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
	doc.process.exe_upper_layer == true
	macros.spawned_process(doc)
	macros.container(doc)
	msg := sprintf("Executing binary not part of base image (proc_exe=%s)", [doc.process.exe])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
