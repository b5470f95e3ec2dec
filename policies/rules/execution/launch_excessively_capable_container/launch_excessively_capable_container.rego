# METADATA
# title: "Launch Excessively Capable Container"
# description: >-
#   The first process of a container started with a powerful capability (CAP_SYS_ADMIN,
#   CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_NET_ADMIN, CAP_BPF, ...), images Falco trusts left
#   out.
# custom:
#   id: launch_excessively_capable_container
#   priority: INFORMATIONAL
#   tags: ["maturity_incubating", "container", "cis", "mitre_execution", "T1610"]
#   syscalls: [execve, execveat]
#   output_fields: [thread.cap_effective, container.cap_add]
package bpfopa.rules.launch_excessively_capable_container

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
	doc.process.vpid == 1
	macros.container_started(doc)
	capabilities := macros.permitted_capabilities(doc)
	some capability in capabilities
	capability in lists.excessive_capabilities
	not macros.falco_privileged_containers(doc)
	msg := sprintf("Excessively capable container started (cap_permitted=%s)", [concat(" ", sort(capabilities))])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
