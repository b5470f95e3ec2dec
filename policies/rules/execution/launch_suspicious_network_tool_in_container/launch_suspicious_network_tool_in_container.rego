# METADATA
# title: "Launch Suspicious Network Tool in Container"
# description: >-
#   A network tool (nc, nmap, tcpdump, socat, ...) was started inside a container.
# custom:
#   id: launch_suspicious_network_tool_in_container
#   priority: NOTICE
#   tags: ["maturity_incubating", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.launch_suspicious_network_tool_in_container

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.network_tool_binaries
	macros.spawned_process(input)
	macros.container(input)
	msg := "Network tool launched in container"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
