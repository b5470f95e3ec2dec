# METADATA
# title: "Disallowed SSH Connection Non Standard Port"
# description: >-
#   An ssh client made an outbound TCP connection to a port other than 22: reverse tunnels
#   and exfiltration often hide ssh on unusual ports.
# custom:
#   id: disallowed_ssh_connection_non_standard_port
#   priority: NOTICE
#   tags: ["maturity_stable", "host", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [connect]
package bpfopa.rules.disallowed_ssh_connection_non_standard_port

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	endswith(input.process.exe, "ssh")
	macros.outbound(input)

	# Falco requires fd.l4proto=tcp; the document does not carry the protocol yet, so only
	# a socket known to be UDP is left out (ssh clients connect over TCP).
	not macros.l4proto(input) == "udp"
	port := macros.server_port(input)
	port != 22
	msg := sprintf("Disallowed SSH Connection (connection=%s port=%d)", [macros.remote(input).address, port])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
