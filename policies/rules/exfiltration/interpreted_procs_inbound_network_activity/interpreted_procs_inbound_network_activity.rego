# METADATA
# title: "Interpreted procs inbound network activity"
# description: >-
#   An interpreter (python, perl, ruby, node, php, ...) accepted or listened for
#   connections, or received datagrams, from a routable address.
# custom:
#   id: interpreted_procs_inbound_network_activity
#   priority: NOTICE
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_exfiltration", "TA0011"]
#   syscalls: [accept, accept4, listen, recvfrom, recvmsg]
package bpfopa.rules.interpreted_procs_inbound_network_activity

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.interpreted_binaries
	macros.inbound(input)
	msg := sprintf("Interpreted program received/listened for network traffic (connection=%s)", [object.get(input.event, ["fd", "name"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
