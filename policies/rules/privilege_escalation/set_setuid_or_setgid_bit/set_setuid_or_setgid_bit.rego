# METADATA
# title: "Set Setuid or Setgid bit"
# description: >-
#   chmod set the setuid or setgid bit (S_ISUID 04000, S_ISGID 02000), making a program run
#   with its owner's or group's privileges.
# custom:
#   id: set_setuid_or_setgid_bit
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "process", "users", "mitre_privilege_escalation", "T1548.001"]
#   syscalls: [chmod, fchmod, fchmodat, fchmodat2]
package bpfopa.rules.set_setuid_or_setgid_bit

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
	doc.event.name in {"chmod", "fchmod", "fchmodat", "fchmodat2"}
	_sets_suid_or_sgid(doc.event.params.mode)
	not doc.process.name in lists.user_known_chmod_applications
	not macros.exe_running_docker_save(doc)
	msg := sprintf("Setuid or setgid bit is set via chmod (filename=%s mode=%o)", [object.get(doc.event, "path", "<NA>"), doc.event.params.mode])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_sets_suid_or_sgid(mode) if bits.and(mode, macros.s_isuid) != 0

_sets_suid_or_sgid(mode) if bits.and(mode, macros.s_isgid) != 0
