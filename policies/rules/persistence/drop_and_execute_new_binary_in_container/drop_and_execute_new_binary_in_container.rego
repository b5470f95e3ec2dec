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

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	macros.container(input)
	input.process.exe_upper_layer == true
	msg := sprintf("Executing binary not part of base image (proc_exe=%s)", [input.process.exe])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
