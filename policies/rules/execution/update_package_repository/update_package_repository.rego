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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_updates_repository(input)
	not macros.package_mgmt_procs(input)
	not macros.package_mgmt_ancestor_procs(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("Repository files get updated (file=%s newpath=%s)", [object.get(input.event, "path", "<NA>"), object.get(input.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_updates_repository(doc) if {
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
