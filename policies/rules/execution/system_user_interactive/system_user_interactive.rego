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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	input.process.user in lists.system_users
	macros.interactive(input)
	msg := sprintf("System user ran an interactive command (user=%s)", [input.process.user])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
