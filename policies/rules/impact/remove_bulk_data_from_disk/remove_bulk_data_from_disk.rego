# METADATA
# title: "Remove Bulk Data from Disk"
# description: >-
#   A program that destroys bulk data (shred, mkfs, mke2fs) was started.
# custom:
#   id: remove_bulk_data_from_disk
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "filesystem", "mitre_impact", "T1485"]
#   syscalls: [execve, execveat]
package bpfopa.rules.remove_bulk_data_from_disk

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
	doc.process.name in lists.data_remove_commands
	macros.spawned_process(doc)
	msg := "Bulk data has been removed from disk"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
