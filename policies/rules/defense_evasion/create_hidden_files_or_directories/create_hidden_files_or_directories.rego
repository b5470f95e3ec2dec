# METADATA
# title: "Create Hidden Files or Directories"
# description: >-
#   A hidden file or directory (name starting with a dot) was created by mkdir, by a rename
#   to a hidden name, or by an open with O_CREAT.
# custom:
#   id: create_hidden_files_or_directories
#   priority: NOTICE
#   enabled: false
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_defense_evasion", "T1564.001"]
#   syscalls: [open, openat, openat2, rename, renameat, renameat2, mkdir, mkdirat]
package bpfopa.rules.create_hidden_files_or_directories

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
	_creates_hidden(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("Hidden file or directory created (file=%s newpath=%s)", [object.get(doc.event, "path", "<NA>"), object.get(doc.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_creates_hidden(doc) if {
	doc.event.name in macros.rename_syscalls
	contains(doc.event.paths.newname, "/.")
}

_creates_hidden(doc) if {
	doc.event.name in macros.mkdir_syscalls
	contains(doc.event.path, "/.")
}

_creates_hidden(doc) if {
	contains(doc.event.path, "/.")
	macros.open_write(doc)
	macros.flag_set(doc, macros.o_creat, "O_CREAT")
	not _excluded(doc.event.path)
}

_excluded(path) if {
	some dir in lists.exclude_hidden_directories
	startswith(path, dir)
}
