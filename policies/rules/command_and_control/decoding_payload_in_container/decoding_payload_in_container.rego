# METADATA
# title: "Decoding Payload in Container"
# description: >-
#   A command line decoding base64 ran inside a container, as attackers do to unpack a
#   payload.
# custom:
#   id: decoding_payload_in_container
#   priority: INFORMATIONAL
#   tags: ["maturity_sandbox", "container", "process", "mitre_command_and_control", "T1132"]
#   syscalls: [execve, execveat]
package bpfopa.rules.decoding_payload_in_container

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
	contains(doc.process.cmdline, "base64")
	macros.spawned_process(doc)
	macros.container(doc)
	macros.base64_decoding(doc)
	not macros.image_repository(doc) in lists.known_decode_payload_containers
	msg := "Decoding Payload in Container"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
