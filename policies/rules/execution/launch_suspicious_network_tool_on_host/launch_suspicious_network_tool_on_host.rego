# METADATA
# title: "Launch Suspicious Network Tool on Host"
# description: >-
#   A network tool (nc, nmap, tcpdump, socat, ...) was started on the host. Falco ships this
#   rule switched off behind a macro; here it is on and can be silenced with
#   data.bpfopa.exceptions.
# custom:
#   id: launch_suspicious_network_tool_on_host
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_suspicious_network_tool_on_host

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.network_tool_binaries
	macros.spawned_process(input)
	not macros.container(input)
	msg := "Network tool launched on host"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
