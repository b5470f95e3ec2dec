# METADATA
# title: "Web Server Spawned Shell"
# description: >-
#   A shell started below a web server (its parent or the next two ancestors), the usual sign
#   of a web shell or of command injection.
# custom:
#   id: web_server_spawned_shell
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "process", "mitre_persistence", "mitre_execution", "T1505.003"]
#   syscalls: [execve, execveat]
#   output_fields: ["proc.aname[2]", "proc.aname[3]"]
package bpfopa.rules.web_server_spawned_shell

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
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
	doc.process.name in lists.shell_binaries
	macros.spawned_process(doc)
	macros.spawned_by_web_server(doc)
	not startswith(doc.process.cmdline, "sh -c /usr/bin")
	not contains(doc.process.cmdline, "healthcheck")
	msg := sprintf("Web server spawned shell (shell=%s web_server=%s gparent=%s ggparent=%s)", [doc.process.name, macros.pname(doc), macros.ancestor_name(doc, 2), macros.ancestor_name(doc, 3)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
