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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"chmod", "fchmod", "fchmodat", "fchmodat2"}
	_sets_suid_or_sgid(input.event.params.mode)
	not input.process.name in lists.user_known_chmod_applications
	not macros.exe_running_docker_save(input)
	msg := sprintf("Setuid or setgid bit is set via chmod (filename=%s mode=%o)", [object.get(input.event, "path", "<NA>"), input.event.params.mode])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_sets_suid_or_sgid(mode) if bits.and(mode, macros.s_isuid) != 0

_sets_suid_or_sgid(mode) if bits.and(mode, macros.s_isgid) != 0
