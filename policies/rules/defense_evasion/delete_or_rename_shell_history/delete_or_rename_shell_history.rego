# METADATA
# title: "Delete or rename shell history"
# description: >-
#   A shell history file (bash, ash, zsh, fish) was deleted, renamed or truncated.
# custom:
#   id: delete_or_rename_shell_history
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "process", "filesystem", "mitre_defense_evasion", "T1070"]
#   syscalls: [open, openat, openat2, rename, renameat, renameat2, rmdir, unlink, unlinkat]
package bpfopa.rules.delete_or_rename_shell_history

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
	_touches_history(doc)
	not _below_var_lib_docker(doc)
	not doc.process.name in lists.docker_binaries
	msg := sprintf("Shell history deleted or renamed (file=%s)", [object.get(doc.event, "path", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_history_file(path) if {
	some suffix in {"ash_history", "zsh_history", "fish_history"}
	endswith(path, suffix)
}

_history_file(path) if contains(path, "fish_read_history")

_touches_history(doc) if {
	doc.event.name in macros.modify_syscalls
	some path in macros.event_paths(doc)
	_history_file(path)
}

_touches_history(doc) if {
	contains(doc.event.path, "history") # implied by _history_file, and cheaper
	_history_file(doc.event.path)
	macros.open_write(doc)
	macros.flag_set(doc, macros.o_trunc, "O_TRUNC")
}

_below_var_lib_docker(doc) if {
	some path in macros.event_paths(doc)
	startswith(path, "/var/lib/docker")
}
