# METADATA
# title: "Unexpected inbound connection source"
# description: >-
#   A connection was accepted from a client outside the allowed addresses and networks
#   (Falco's allowed_inbound_source_ipaddrs and _networks; 127.0.0.1, 10.0.0.0/8).
# custom:
#   id: unexpected_inbound_connection_source
#   priority: NOTICE
#   enabled: false
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_command_and_control", "TA0011"]
#   syscalls: [accept, accept4, listen, recvfrom, recvmsg]
package bpfopa.rules.unexpected_inbound_connection_source

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
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
	macros.inbound(doc)
	client := macros.remote(doc).address
	not client in lists.allowed_inbound_source_ipaddrs
	not _in_allowed_network(client)
	not object.get(macros.remote(doc), "name", "") in lists.allowed_inbound_source_domains
	msg := sprintf("Disallowed inbound connection source (connection=%s lport=%v rport=%v)", [object.get(doc.event, ["fd", "name"], "<NA>"), macros.local_port(doc), macros.remote_port(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_in_allowed_network(address) if {
	some cidr in lists.allowed_inbound_source_networks
	net.cidr_contains(cidr, address)
}
