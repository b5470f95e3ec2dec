# METADATA
# title: "Known Cryptominer Process Executed"
# description: >-
#   A known cryptocurrency miner (xmrig, minerd, cpuminer, ethminer, ...) was started.
# custom:
#   id: known_cryptominer_process_executed
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "process", "mitre_impact", "T1496"]
#   syscalls: [execve, execveat]
package bpfopa.rules.known_cryptominer_process_executed

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
	doc.process.name in lists.miner_binaries
	macros.spawned_process(doc)
	msg := sprintf("Cryptominer process executed (process=%s exe=%s)", [doc.process.name, object.get(doc.process, "exe", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
