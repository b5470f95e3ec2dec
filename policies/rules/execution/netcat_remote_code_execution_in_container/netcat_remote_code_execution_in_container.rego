# METADATA
# title: "Netcat Remote Code Execution in Container"
# description: >-
#   nc or ncat started inside a container with an option that runs a program for the remote
#   side (-e, -c, --exec, --sh-exec, --lua-exec): a reverse or bind shell.
# custom:
#   id: netcat_remote_code_execution_in_container
#   priority: WARNING
#   tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.netcat_remote_code_execution_in_container

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
	doc.process.name in {"nc", "ncat"} # implied by netcat_remote_exec, and cheaper
	macros.spawned_process(doc)
	macros.container(doc)
	macros.netcat_remote_exec(doc)
	msg := "Netcat runs inside container that allows remote code execution"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
