# METADATA
# title: "Launch Disallowed Container"
# description: >-
#   The first process of a container whose image is not in the allowed list
#   (data.bpfopa.config.allowed_container_images) started. Without that list every image is
#   allowed, as in Falco.
# custom:
#   id: launch_disallowed_container
#   priority: WARNING
#   tags: ["maturity_sandbox", "container", "mitre_lateral_movement", "T1610"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_disallowed_container

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
	allowed := data.bpfopa.config.allowed_container_images
	is_array(allowed)
	not _allowed(macros.image_repository(doc), allowed)
	msg := sprintf("Container started and not in allowed list (image=%s)", [macros.image_repository(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# An allowed image: its repository is in the list, or starts with an entry ending in "*".
_allowed(repository, allowed) if repository in allowed

_allowed(repository, allowed) if {
	some pattern in allowed
	endswith(pattern, "*")
	startswith(repository, trim_suffix(pattern, "*"))
}
