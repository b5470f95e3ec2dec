# METADATA
# title: "Unexpected UDP Traffic"
# description: >-
#   A UDP socket was connected or bound to a port outside DNS, NTP, statsd, OpenVPN, L2TP
#   and a few connectivity-test ports.
# custom:
#   id: unexpected_udp_traffic
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "network", "mitre_exfiltration", "TA0011"]
#   syscalls: [accept, accept4, listen, connect]
package bpfopa.rules.unexpected_udp_traffic

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
	macros.l4proto(doc) == "udp" # the cheapest test first
	macros.inbound_outbound(doc)
	port := macros.server_port(doc)
	not port in lists.expected_udp_ports
	msg := sprintf("Unexpected UDP Traffic Seen (connection=%s port=%d)", [object.get(doc.event, ["fd", "name"], "<NA>"), port])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
