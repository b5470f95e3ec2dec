# METADATA
# title: "Launch Privileged Container"
# description: >-
#   The first process of a privileged container started (images Falco trusts to run privileged
#   are left out): an audit of containers that can take over their host.
# custom:
#   id: launch_privileged_container
#   priority: INFORMATIONAL
#   tags: ["maturity_incubating", "container", "cis", "mitre_execution", "T1610", "PCI_DSS_10.2.5"]
#   syscalls: [execve, execveat]
#   output_fields: [container.privileged]
package bpfopa.rules.launch_privileged_container

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
	doc.process.vpid == 1
	macros.container_started(doc)
	macros.privileged_container(doc)
	not macros.falco_privileged_containers(doc)
	msg := sprintf("Privileged container started (container_name=%s image=%s)", [object.get(doc.process.container, "name", "<NA>"), macros.image_repository(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
