# METADATA
# title: "Redirect STDOUT/STDIN to Network Connection in Container"
# description: >-
#   In a container, a network socket was duplicated onto stdin, stdout or stderr (fd 0-2):
#   the shape of a reverse shell.
# custom:
#   id: redirect_stdout_stdin_to_network_connection_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [dup, dup2, dup3]
package bpfopa.rules.redirect_stdout_stdin_to_network_connection_in_container

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"dup", "dup2", "dup3"}
	macros.container(input)
	input.event.ret in {0, 1, 2}
	input.event.fd.type in {"ipv4", "ipv6"}
	msg := sprintf("Redirect stdout/stdin to network connection (fd=%d connection=%s)", [input.event.ret, input.event.fd.name])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
