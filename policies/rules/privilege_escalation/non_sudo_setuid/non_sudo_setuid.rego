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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "setuid"
	_known_user(input)
	not _root(input.process)
	input.event.params.uid != input.process.uid
	not input.process.name in _setuid_programs
	not startswith(input.process.name, "runc:")
	msg := sprintf("Unexpected setuid call by non-sudo, non-root program (arg_uid=%v)", [input.event.params.uid])
	alert := result.alert(rego.metadata.chain(), input, msg)
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

_root(process) if process.user == "root"

_root(process) if process.uid == 0
