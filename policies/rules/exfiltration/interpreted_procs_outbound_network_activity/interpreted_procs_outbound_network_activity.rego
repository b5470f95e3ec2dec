# METADATA
# title: "Interpreted procs outbound network activity"
# description: >-
#   An interpreter (python, perl, ruby, node, php, ...) connected, or sent datagrams, to a
#   routable non-RFC1918 address.
# custom:
#   id: interpreted_procs_outbound_network_activity
#   priority: NOTICE
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_exfiltration", "TA0011"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.interpreted_procs_outbound_network_activity

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.interpreted_binaries
	macros.outbound(input)
	peer := macros.remote(input)
	msg := sprintf("Interpreted program performed outgoing network connection (connection=%s:%d)", [peer.address, peer.port])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
