# METADATA
# title: "Kubernetes Client Tool Launched in Container"
# description: >-
#   A Kubernetes or container client (docker, kubectl, crictl) was started inside a container.
# custom:
#   id: kubernetes_client_tool_launched_in_container
#   priority: WARNING
#   tags: ["maturity_sandbox", "container", "mitre_execution", "T1610"]
#   syscalls: [execve, execveat]
package bpfopa.rules.kubernetes_client_tool_launched_in_container

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
	doc.process.name in lists.k8s_client_binaries
	macros.spawned_process(doc)
	macros.container(doc)
	not macros.user_known_k8s_client_container(doc)
	msg := "Kubernetes Client Tool Launched in Container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
