# METADATA
# title: "Packet socket created in container"
# description: >-
#   A packet socket (AF_PACKET, OSI layer 2) was created inside a container: used for ARP
#   spoofing and some privilege escalations (CVE-2020-14386).
# custom:
#   id: packet_socket_created_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "network", "mitre_credential_access", "T1557.002"]
#   syscalls: [socket]
package bpfopa.rules.packet_socket_created_in_container

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
	doc.event.name == "socket"
	_packet_family(doc.event.params)
	macros.container(doc)
	msg := "Packet socket was created in a container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# AF_PACKET is 17 on Linux; the decoder may also name it.
_packet_family(params) if params.family_name == "AF_PACKET"

_packet_family(params) if params.domain_name == "AF_PACKET"

_packet_family(params) if params.family == 17

_packet_family(params) if params.domain == 17
