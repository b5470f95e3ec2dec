# METADATA
# title: "System user interactive"
# description: >-
#   A system (non-login) user such as www-data or nobody started a process below an ssh
#   session or a login program.
# custom:
#   id: system_user_interactive
#   priority: INFORMATIONAL
#   tags: ["maturity_stable", "host", "container", "users", "mitre_execution", "T1059", "NIST_800-53_AC-2"]
#   syscalls: [execve, execveat]
package bpfopa.rules.system_user_interactive

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
	doc.process.user in lists.system_users
	macros.spawned_process(doc)
	macros.interactive(doc)
	msg := sprintf("System user ran an interactive command (user=%s)", [doc.process.user])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
