# METADATA
# title: "Netcat Remote Code Execution in Container"
# description: >-
#   nc or ncat started inside a container with an option that runs a program for the remote
#   side (-e, -c, --exec, --sh-exec, --lua-exec): a reverse or bind shell.
# custom:
#   id: netcat_remote_code_execution_in_container
#   priority: WARNING
#   tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.netcat_remote_code_execution_in_container

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	macros.container(input)
	macros.netcat_remote_exec(input)
	msg := "Netcat runs inside container that allows remote code execution"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
