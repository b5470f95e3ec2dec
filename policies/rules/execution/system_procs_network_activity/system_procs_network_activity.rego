# METADATA
# title: "System procs network activity"
# description: >-
#   A system binary that has no business on the network (a coreutils or user management
#   program, or a shell) connected, listened or accepted on an IP socket.
# custom:
#   id: system_procs_network_activity
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [accept, accept4, listen, connect]
#   output_fields: [fd.lport, fd.rport, fd.l4proto]
package bpfopa.rules.system_procs_network_activity

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
	doc.process.name in lists.system_network_procs
	macros.inbound_outbound(doc)
	not macros.login_doing_dns_lookup(doc)
	msg := sprintf("Known system binary sent/received network traffic (connection=%s lport=%v rport=%v fd_type=%s fd_proto=%s)", [object.get(doc.event, ["fd", "name"], "<NA>"), macros.local_port(doc), macros.remote_port(doc), object.get(doc.event, ["fd", "type"], "<NA>"), object.get(doc.event, ["fd", "proto"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
