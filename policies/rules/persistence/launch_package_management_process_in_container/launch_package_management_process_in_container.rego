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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.package_mgmt_binaries
	macros.spawned_process(input)
	macros.container(input)
	input.process.user != "_apt"
	not macros.package_mgmt_ancestor_procs(input)
	msg := "Package management process launched in container"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
