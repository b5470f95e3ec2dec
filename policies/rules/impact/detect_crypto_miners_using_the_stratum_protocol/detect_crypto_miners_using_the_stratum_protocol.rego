# METADATA
# title: "Detect crypto miners using the Stratum protocol"
# description: >-
#   A program was started with a stratum+tcp/stratum+ssl mining pool URI on its command
#   line.
# custom:
#   id: detect_crypto_miners_using_the_stratum_protocol
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "process", "mitre_impact", "T1496"]
#   syscalls: [execve, execveat]
package bpfopa.rules.detect_crypto_miners_using_the_stratum_protocol

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	some scheme in lists.stratum_schemes
	contains(input.process.cmdline, scheme)
	msg := "Possible miner running"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
