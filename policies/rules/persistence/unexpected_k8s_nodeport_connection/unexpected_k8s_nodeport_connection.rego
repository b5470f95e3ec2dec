# METADATA
# title: "Unexpected K8s NodePort Connection"
# description: >-
#   A container connected to or served a port in the Kubernetes NodePort range
#   (30000-32767).
# custom:
#   id: unexpected_k8s_nodeport_connection
#   priority: NOTICE
#   enabled: false
#   tags: ["maturity_sandbox", "network", "k8s", "container", "mitre_persistence", "T1205.001", "NIST_800-53_AC-6"]
#   syscalls: [accept, accept4, listen, connect]
package bpfopa.rules.unexpected_k8s_nodeport_connection

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
	macros.container(doc) # the cheapest tests first, inbound_outbound's CIDR tests last
	port := macros.server_port(doc)
	port >= lists.nodeport_range.min
	port <= lists.nodeport_range.max
	macros.inbound_outbound(doc)
	msg := sprintf("Unexpected K8s NodePort Connection (connection=%s port=%d)", [object.get(doc.event, ["fd", "name"], "<NA>"), port])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
