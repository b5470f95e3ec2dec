# METADATA
# title: "PTRACE attached to process"
# description: >-
#   A ptrace request that attaches to or writes into another process (ATTACH, SEIZE,
#   POKETEXT, POKEDATA, SETREGS): code injection or a debugger. Attempts count, successful
#   or not, as in Falco.
# custom:
#   id: ptrace_attached_to_process
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "mitre_privilege_escalation", "T1055.008"]
#   syscalls: [ptrace]
package bpfopa.rules.ptrace_attached_to_process

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "ptrace"
	request := macros.ptrace_request(input)
	request in lists.ptrace_attach_requests
	macros.proc_name_exists(input)
	msg := sprintf("Detected ptrace %s attempt (pid=%v)", [request, object.get(input.event.params, "pid", "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
