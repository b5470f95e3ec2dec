# METADATA
# title: "Write below etc"
# description: >-
#   A program opened a file below /etc for writing; the package managers, user management
#   tools and the other programs Falco's write_etc_common lists are left out.
# custom:
#   id: write_below_etc
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1098"]
#   syscalls: [open, openat, openat2]
#   output_fields: ["proc.aname[2]", "proc.aname[3]"]
package bpfopa.rules.write_below_etc

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
	startswith(doc.event.path, "/etc/")
	macros.open_write(doc)
	macros.proc_name_exists(doc)
	not doc.process.name in lists.write_etc_allowed_procs
	not macros.pname(doc) in lists.write_etc_allowed_parents
	not doc.event.path in lists.write_etc_allowed_files
	not _safe_etc_dir(doc.event.path)
	not macros.write_etc_known_activity(doc)
	msg := sprintf("File below /etc opened for writing (file=%s pcmdline=%s gparent=%s ggparent=%s gggparent=%s)", [doc.event.path, object.get(doc.process, ["parent", "cmdline"], "<NA>"), macros.ancestor_name(doc, 2), macros.ancestor_name(doc, 3), macros.ancestor_name(doc, 4)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco: fd.name pmatch (safe_etc_dirs).
_safe_etc_dir(path) if {
	some dir in lists.safe_etc_dirs
	macros.below_directory(path, dir)
}
