# METADATA
# title: "Unexpected K8s NodePort Connection"
# description: >-
#   A container connected to or served a port in the Kubernetes NodePort range
#   (30000-32767).
# custom:
#   id: unexpected_k8s_nodeport_connection
#   priority: NOTICE
#   tags: ["maturity_sandbox", "network", "k8s", "container", "mitre_persistence", "T1205.001", "NIST_800-53_AC-6"]
#   syscalls: [accept, accept4, listen, connect]
package bpfopa.rules.unexpected_k8s_nodeport_connection

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.inbound_outbound(input)
	macros.container(input)
	port := macros.server_port(input)
	port >= lists.nodeport_range.min
	port <= lists.nodeport_range.max
	msg := sprintf("Unexpected K8s NodePort Connection (connection=%s port=%d)", [object.get(input.event, ["fd", "name"], "<NA>"), port])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
