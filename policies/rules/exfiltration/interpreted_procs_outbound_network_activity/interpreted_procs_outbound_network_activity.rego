# METADATA
# title: "Interpreted procs outbound network activity"
# description: >-
#   An interpreter (python, perl, ruby, node, php, ...) connected, or sent datagrams, to a
#   routable non-RFC1918 address.
# custom:
#   id: interpreted_procs_outbound_network_activity
#   priority: NOTICE
#   enabled: false
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_exfiltration", "TA0011"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.interpreted_procs_outbound_network_activity

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
	doc.process.name in lists.interpreted_binaries
	macros.outbound(doc)
	peer := macros.remote(doc)
	msg := sprintf("Interpreted program performed outgoing network connection (connection=%s:%d)", [peer.address, peer.port])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
