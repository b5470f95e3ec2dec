# METADATA
# title: "Redirect STDOUT/STDIN to Network Connection in Container"
# description: >-
#   In a container, a network socket was duplicated onto stdin, stdout or stderr (fd 0-2):
#   the shape of a reverse shell.
# custom:
#   id: redirect_stdout_stdin_to_network_connection_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [dup, dup2, dup3]
package bpfopa.rules.redirect_stdout_stdin_to_network_connection_in_container

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
	doc.event.name in {"dup", "dup2", "dup3"}
	macros.container(doc)
	doc.event.ret in {0, 1, 2}
	doc.event.fd.type in {"ipv4", "ipv6"}
	msg := sprintf("Redirect stdout/stdin to network connection (fd=%d connection=%s)", [doc.event.ret, doc.event.fd.name])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
