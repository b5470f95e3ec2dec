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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.data_remove_commands
	macros.spawned_process(input)
	msg := "Bulk data has been removed from disk"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
