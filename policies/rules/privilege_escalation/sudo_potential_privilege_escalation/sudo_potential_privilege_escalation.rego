# METADATA
# title: "Sudo Potential Privilege Escalation"
# description: >-
#   sudo or sudoedit started in shell mode (-s, -i, --login) with an argument ending in a
#   backslash, the shape of the Baron Samedit heap overflow (CVE-2021-3156).
# custom:
#   id: sudo_potential_privilege_escalation
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "users", "mitre_privilege_escalation", "T1548.003"]
#   syscalls: [execve, execveat]
package bpfopa.rules.sudo_potential_privilege_escalation

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
	doc.process.name in {"sudo", "sudoedit"}
	macros.spawned_process(doc)
	doc.process.loginuid != 0
	args := macros.args_string(doc)
	some option in lists.sudo_shell_options
	contains(args, option)
	_escaped_argument(args)
	msg := "Detect Sudo Privilege Escalation Exploit (CVE-2021-3156)"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco: proc.args contains "\ " or proc.args endswith "\".
_escaped_argument(args) if contains(args, `\ `)

_escaped_argument(args) if endswith(args, `\`)
