# METADATA
# title: "Create Hidden Files or Directories"
# description: >-
#   A hidden file or directory (name starting with a dot) was created by mkdir, by a rename
#   to a hidden name, or by an open with O_CREAT.
# custom:
#   id: create_hidden_files_or_directories
#   priority: NOTICE
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_defense_evasion", "T1564.001"]
#   syscalls: [open, openat, openat2, rename, renameat, renameat2, mkdir, mkdirat]
package bpfopa.rules.create_hidden_files_or_directories

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_creates_hidden(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("Hidden file or directory created (file=%s newpath=%s)", [object.get(input.event, "path", "<NA>"), object.get(input.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
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
	macros.open_write(doc)
	macros.flag_set(doc, macros.o_creat, "O_CREAT")
	contains(doc.event.path, "/.")
	not _excluded(doc.event.path)
}

_excluded(path) if {
	some dir in lists.exclude_hidden_directories
	startswith(path, dir)
}
