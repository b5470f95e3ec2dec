# METADATA
# title: "Potential Local Privilege Escalation via Environment Variables Misuse"
# description: >-
#   A program started with GLIBC_TUNABLES in its environment, the trigger of glibc's
#   CVE-2023-4911 privilege escalation.
# custom:
#   id: potential_local_privilege_escalation_via_environment_variables_misuse
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "users", "mitre_privilege_escalation", "TA0004"]
#   syscalls: [execve, execveat]
package bpfopa.rules.potential_local_privilege_escalation_via_environment_variables_misuse

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
	macros.spawned_process(doc)
	entries := macros.glibc_tunables_entries(doc)
	count(entries) > 0
	msg := sprintf("Process run with suspect environment variable which could be attempting privilege escalation (env=%s)", [concat(" ", entries)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
