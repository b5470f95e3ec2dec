# METADATA
# title: "Launch Remote File Copy Tools in Container"
# description: >-
#   A remote file copy tool (rsync, scp, sftp, dcp) was started inside a container.
# custom:
#   id: launch_remote_file_copy_tools_in_container
#   priority: NOTICE
#   tags: ["maturity_incubating", "container", "network", "process", "mitre_exfiltration", "T1020"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_remote_file_copy_tools_in_container

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.remote_file_copy_binaries
	macros.spawned_process(input)
	macros.container(input)
	msg := "Remote file copy tool launched in container"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
