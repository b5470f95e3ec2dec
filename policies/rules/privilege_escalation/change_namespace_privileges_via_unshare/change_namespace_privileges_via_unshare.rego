# METADATA
# title: "Change namespace privileges via unshare"
# description: >-
#   A process in a container without CAP_SYS_ADMIN called unshare, which can create a user
#   namespace that grants it the privileges its container lacks.
# custom:
#   id: change_namespace_privileges_via_unshare
#   priority: NOTICE
#   tags: ["maturity_incubating", "container", "mitre_privilege_escalation", "T1611"]
#   syscalls: [unshare]
package bpfopa.rules.change_namespace_privileges_via_unshare

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
	not "CAP_SYS_ADMIN" in macros.permitted_capabilities(doc)
	msg := sprintf("Change namespace privileges via unshare (res=%v)", [doc.event.ret])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
