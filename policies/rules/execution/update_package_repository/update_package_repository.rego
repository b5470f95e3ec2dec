# METADATA
# title: "Update Package Repository"
# description: >-
#   A program other than a package manager wrote or renamed a package repository definition
#   (/etc/apt/sources.list*, /etc/yum.repos.d).
# custom:
#   id: update_package_repository
#   priority: NOTICE
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_execution", "T1072"]
#   syscalls: [open, openat, openat2, rename, renameat, renameat2]
package bpfopa.rules.update_package_repository

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
	_updates_repository(doc)
	not macros.package_mgmt_procs(doc)
	not macros.package_mgmt_ancestor_procs(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("Repository files get updated (file=%s newpath=%s)", [object.get(doc.event, "path", "<NA>"), object.get(doc.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_updates_repository(doc) if {
	startswith(doc.event.path, "/etc/") # every repository directory is below /etc (lists_test.rego)
	macros.open_write(doc)
	_access_repositories(doc.event.path)
}

_updates_repository(doc) if {
	doc.event.name in macros.rename_syscalls
	_below_repository_dir(doc.event.paths.newname)
}

_access_repositories(path) if macros.dirname(path) in lists.repository_directories

_access_repositories(path) if {
	_below_repository_dir(path)
	macros.basename(path) in lists.repository_files
}

_below_repository_dir(path) if {
	some dir in lists.repository_directories
	startswith(path, concat("", [dir, "/"]))
}
