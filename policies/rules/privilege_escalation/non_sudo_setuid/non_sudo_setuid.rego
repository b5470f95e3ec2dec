# METADATA
# title: "Non sudo setuid"
# description: >-
#   A non-root program other than sudo, su, sshd, mail or container tooling called setuid to
#   change to another user.
# custom:
#   id: non_sudo_setuid
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "users", "mitre_privilege_escalation", "T1548.001"]
#   syscalls: [setuid]
package bpfopa.rules.non_sudo_setuid

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
	doc.event.name == "setuid"
	_known_user(doc)
	not _caller_root(doc)
	doc.event.params.uid != _caller_uid(doc)
	not doc.process.name in _setuid_programs
	not startswith(doc.process.name, "runc:")
	msg := sprintf("Unexpected setuid call by non-sudo, non-root program (arg_uid=%v)", [doc.event.params.uid])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_setuid_programs := union({
	lists.known_setuid_binaries, lists.userexec_binaries, lists.mail_binaries,
	lists.docker_binaries, lists.nomachine_binaries, {"nrpe"},
})

# known_user_in_container or not container
_known_user(doc) if not macros.container(doc)

_known_user(doc) if {
	macros.container(doc)
	is_string(doc.process.user)
}

# Falco reads the user at the syscall's entry: who called, not who the call made it. The
# capture reports the caller's ids before a set*id call in event.before.
_caller_uid(doc) := object.get(doc, ["event", "before", "uid"], doc.process.uid)

_caller_root(doc) if _caller_uid(doc) == 0

_caller_root(doc) if {
	not doc.event.before
	doc.process.user == "root"
}
