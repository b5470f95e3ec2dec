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
package bpfopa.rules.debugfs_launched_in_privileged_container

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name == "debugfs"
	macros.spawned_process(input)
	macros.container(input)
	input.process.container.privileged == true
	msg := "Debugfs launched started in a privileged container"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
