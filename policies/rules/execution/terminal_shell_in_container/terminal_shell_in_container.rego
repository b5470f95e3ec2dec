# METADATA
# title: "Terminal shell in container"
# description: >-
#   A shell with an attached terminal was used as the entrypoint or exec point into a
#   container, as with `kubectl exec -it` or `docker exec -it`.
# custom:
#   id: terminal_shell_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "shell", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.terminal_shell_in_container

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
	macros.shell_procs(doc)
	macros.spawned_process(doc)
	macros.container(doc)
	doc.process.tty != 0
	macros.container_entrypoint(doc)
	msg := sprintf("A shell was spawned in a container with an attached terminal (shell=%s)", [doc.process.name])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
