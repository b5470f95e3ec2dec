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

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	startswith(input.process.exe, "/memfd:")
	macros.spawned_process(input)
	msg := sprintf("Fileless execution via memfd_create (exe=%s)", [input.process.exe])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
