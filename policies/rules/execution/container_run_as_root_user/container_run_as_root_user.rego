# METADATA
# title: "Container Run as Root User"
# description: >-
#   The first process of a container runs as root (uid 0).
# custom:
#   id: container_run_as_root_user
#   priority: INFORMATIONAL
#   enabled: false
#   tags: ["maturity_sandbox", "container", "process", "users", "mitre_execution", "T1610"]
#   syscalls: [execve, execveat]
package bpfopa.rules.container_run_as_root_user

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
	doc.process.uid == 0
	not macros.image_repository(doc) in lists.run_as_root_image_list
	msg := sprintf("Container launched with root user privilege (image=%s)", [macros.image_repository(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
