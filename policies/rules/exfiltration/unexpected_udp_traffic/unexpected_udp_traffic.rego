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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.inbound_outbound(input)
	macros.l4proto(input) == "udp"
	port := macros.server_port(input)
	not port in lists.expected_udp_ports
	msg := sprintf("Unexpected UDP Traffic Seen (connection=%s port=%d)", [object.get(input.event, ["fd", "name"], "<NA>"), port])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
