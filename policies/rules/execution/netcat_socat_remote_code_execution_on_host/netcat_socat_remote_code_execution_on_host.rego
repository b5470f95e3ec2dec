# METADATA
# title: "Netcat/Socat Remote Code Execution on Host"
# description: >-
#   nc, ncat or socat started on the host with an option that runs a program for the remote
#   side (nc -e/-c, ncat --exec/--sh-exec/--lua-exec, socat EXEC:/SYSTEM:).
# custom:
#   id: netcat_socat_remote_code_execution_on_host
#   priority: WARNING
#   tags: ["maturity_sandbox", "host", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.netcat_socat_remote_code_execution_on_host

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	not macros.container(input)
	_remote_exec(input)
	msg := "Netcat/Socat runs on host that allows remote code execution"
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_remote_exec(doc) if macros.netcat_remote_exec(doc)

_remote_exec(doc) if {
	doc.process.name == "socat"
	args := macros.args_string(doc)
	some address_type in {"EXEC", "SYSTEM"}
	contains(args, address_type)
}
