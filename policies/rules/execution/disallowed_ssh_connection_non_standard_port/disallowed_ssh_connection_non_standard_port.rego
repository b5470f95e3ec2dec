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

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

# rule, id, priority and tags of every alert of this rule, once per query.
_metadata := result.metadata(rego.metadata.chain())

# custom.enabled of the METADATA (false: off unless data.bpfopa.config.enabled_rules names it).
enabled_by_default := config.enabled_by_default(rego.metadata.chain())

# [index, alert] for each document of the batch input {"events": [doc, ...]} that this rule
# flags. Only the documents of the rule's syscalls are looked at (events.by_syscall).
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	endswith(doc.process.exe, "ssh")
	macros.outbound(doc)

	# Falco requires fd.l4proto=tcp; the document does not carry the protocol yet, so only
	# a socket known to be UDP is left out (ssh clients connect over TCP).
	not macros.l4proto(doc) == "udp"
	port := macros.server_port(doc)
	port != 22
	msg := sprintf("Disallowed SSH Connection (connection=%s port=%d)", [macros.remote(doc).address, port])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
