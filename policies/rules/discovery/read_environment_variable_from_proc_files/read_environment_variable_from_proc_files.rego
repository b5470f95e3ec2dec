# METADATA
# title: "Read environment variable from /proc files"
# description: >-
#   A process in a container read a process's environment from /proc/<pid>/environ, where
#   secrets often live.
# custom:
#   id: read_environment_variable_from_proc_files
#   priority: WARNING
#   tags: ["maturity_incubating", "container", "filesystem", "process", "mitre_discovery", "T1083"]
#   syscalls: [open, openat, openat2]
#   output_fields: ["proc.aname[2]", "proc.aname[3]"]
package bpfopa.rules.read_environment_variable_from_proc_files

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
	endswith(doc.event.path, "/environ")
	startswith(doc.event.path, "/proc/")
	macros.open_read(doc)
	macros.container(doc)
	not doc.process.name in lists.known_binaries_to_read_environment_variables_from_proc_files
	msg := sprintf("Environment variables were retrieved from /proc files (file=%s gparent=%s ggparent=%s gggparent=%s)", [doc.event.path, macros.ancestor_name(doc, 2), macros.ancestor_name(doc, 3), macros.ancestor_name(doc, 4)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
