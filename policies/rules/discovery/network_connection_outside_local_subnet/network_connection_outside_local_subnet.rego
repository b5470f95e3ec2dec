# METADATA
# title: "Network Connection outside Local Subnet"
# description: >-
#   A pod of a namespace restricted to the local subnet
#   (data.bpfopa.config.namespace_scope_network_only_subnet) connected to or accepted from an
#   address outside RFC 1918. Without that list the rule is silent, as in Falco.
# custom:
#   id: network_connection_outside_local_subnet
#   priority: WARNING
#   tags: ["maturity_incubating", "container", "network", "mitre_discovery", "T1046", "PCI_DSS_6.4.2"]
#   syscalls: [accept, accept4, listen, connect]
package bpfopa.rules.network_connection_outside_local_subnet

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
	macros.container(doc)
	macros.pod_namespace(doc) in data.bpfopa.config.namespace_scope_network_only_subnet
	macros.inbound_outbound(doc)
	not _local_subnet(macros.remote(doc).address)
	msg := sprintf("Network connection outside local subnet (connection=%s lport=%v rport=%v)", [object.get(doc.event, ["fd", "name"], "<NA>"), macros.local_port(doc), macros.remote_port(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco's network_local_subnet: an RFC 1918 peer (its any and loopback addresses never pass
# macros.inbound_outbound).
_local_subnet(address) if macros.private_address(address)
