# METADATA
# title: "Contact cloud metadata service from container"
# description: >-
#   A process in a container connected to the cloud instance metadata service
#   (169.254.169.254), which hands out the node's credentials; kube-system pods are left out.
# custom:
#   id: contact_cloud_metadata_service_from_container
#   priority: NOTICE
#   tags: ["maturity_incubating", "network", "container", "mitre_discovery", "T1565"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.contact_cloud_metadata_service_from_container

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
	macros.container(doc)
	macros.remote(doc).address == lists.cloud_metadata_address
	macros.outbound(doc)
	macros.pod_namespace(doc) != "kube-system"
	msg := sprintf("Outbound connection to cloud instance metadata service (connection=%s lport=%v rport=%v)", [object.get(doc.event, ["fd", "name"], "<NA>"), macros.local_port(doc), macros.remote_port(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
