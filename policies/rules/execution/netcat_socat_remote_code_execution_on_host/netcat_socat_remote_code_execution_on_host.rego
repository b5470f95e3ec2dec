# METADATA
# title: "Netcat/Socat Remote Code Execution on Host"
# description: >-
#   nc, ncat or socat started on the host with an option that runs a program for the remote
#   side (nc -e/-c, ncat --exec/--sh-exec/--lua-exec, socat EXEC:/SYSTEM:).
# custom:
#   id: netcat_socat_remote_code_execution_on_host
#   priority: WARNING
#   tags: ["maturity_sandbox", "host", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.netcat_socat_remote_code_execution_on_host

import data.bpfopa.lib.config
import data.bpfopa.lib.events
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
	doc.process.name in {"nc", "ncat", "socat"} # implied by _remote_exec, and cheaper
	macros.spawned_process(doc)
	not macros.container(doc)
	_remote_exec(doc)
	msg := "Netcat/Socat runs on host that allows remote code execution"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_remote_exec(doc) if macros.netcat_remote_exec(doc)

_remote_exec(doc) if {
	doc.process.name == "socat"
	args := macros.args_string(doc)
	some address_type in {"EXEC", "SYSTEM"}
	contains(args, address_type)
}
