# METADATA
# title: "PTRACE anti-debug attempt"
# description: >-
#   A program called ptrace(PTRACE_TRACEME) so no debugger can attach to it: typical of
#   malware avoiding analysis.
# custom:
#   id: ptrace_anti_debug_attempt
#   priority: NOTICE
#   tags: ["maturity_stable", "host", "container", "process", "mitre_defense_evasion", "T1622"]
#   syscalls: [ptrace]
package bpfopa.rules.ptrace_anti_debug_attempt

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "ptrace"
	macros.ptrace_request(input) == "PTRACE_TRACEME"
	macros.proc_name_exists(input)
	msg := "Detected potential PTRACE_TRACEME anti-debug attempt"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
