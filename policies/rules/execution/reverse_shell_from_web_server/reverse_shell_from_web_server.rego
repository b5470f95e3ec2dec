# METADATA
# title: "Reverse Shell from Web Server"
# description: >-
#   A program below a web server ran a reverse shell idiom (/dev/tcp/, nc -e, bash -i, a
#   python/perl/ruby socket one-liner, a mkfifo in /tmp).
# custom:
#   id: reverse_shell_from_web_server
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "process", "network", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.reverse_shell_from_web_server

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
	macros.spawned_process(doc)
	macros.spawned_by_web_server(doc)
	_reverse_shell(doc.process.cmdline)
	msg := sprintf("Reverse shell spawned from web server (process=%s web_server=%s)", [doc.process.name, macros.pname(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_reverse_shell(cmdline) if {
	some marker in lists.reverse_shell_markers
	contains(cmdline, marker)
}

_reverse_shell(cmdline) if {
	contains(cmdline, "mkfifo")
	contains(cmdline, "/tmp")
}
