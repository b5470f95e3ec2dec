# METADATA
# title: "Web Server Spawned Suspicious Child Process"
# description: >-
#   A download, network, scripting or reconnaissance tool (curl, nc, python, id, whoami,
#   base64, ...) started below a web server.
# custom:
#   id: web_server_spawned_suspicious_child_process
#   priority: WARNING
#   tags: ["maturity_sandbox", "host", "container", "process", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.web_server_spawned_suspicious_child_process

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
	doc.process.name in lists.suspicious_web_children
	macros.spawned_process(doc)
	macros.spawned_by_web_server(doc)
	not doc.process.name in lists.shell_binaries
	not contains(doc.process.cmdline, "healthcheck")
	not contains(doc.process.cmdline, "status")
	msg := sprintf("Web server spawned suspicious child process (child=%s web_server=%s gparent=%s)", [doc.process.name, macros.pname(doc), macros.ancestor_name(doc, 2)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
