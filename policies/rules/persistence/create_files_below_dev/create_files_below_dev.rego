# METADATA
# title: "Create files below dev"
# description: >-
#   A file was created directly in /dev by a program that does not manage devices: some
#   rootkits hide files there.
# custom:
#   id: create_files_below_dev
#   priority: ERROR
#   tags: ["maturity_incubating", "host", "container", "filesystem", "mitre_persistence", "T1543"]
#   syscalls: [open, openat, openat2, creat]
package bpfopa.rules.create_files_below_dev

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_creates(input)
	path := input.event.path
	macros.dirname(path) == "/dev"
	not input.process.name in lists.dev_creation_binaries
	not path in lists.allowed_dev_files
	not startswith(path, "/dev/tty")
	msg := sprintf("File created below /dev by untrusted program (file=%s)", [path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_creates(doc) if doc.event.name == "creat"

_creates(doc) if {
	doc.event.name in macros.open_syscalls
	macros.flag_set(doc, macros.o_creat, "O_CREAT")
}
