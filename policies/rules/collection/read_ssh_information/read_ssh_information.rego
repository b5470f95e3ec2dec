# METADATA
# title: "Read ssh information"
# description: >-
#   A program that is not an ssh tool read a file or listed a directory below /root/.ssh or
#   a user's ~/.ssh.
# custom:
#   id: read_ssh_information
#   priority: ERROR
#   tags: ["maturity_incubating", "host", "container", "filesystem", "mitre_collection", "T1005"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.read_ssh_information

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_reads(input)
	_ssh_path(input.event.path)
	not input.process.name in lists.ssh_binaries
	msg := sprintf("ssh-related file/directory read by non-ssh program (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_reads(doc) if macros.open_read(doc)

_reads(doc) if macros.open_directory(doc)

_ssh_path(path) if macros.user_ssh_directory(path)

_ssh_path(path) if startswith(path, "/root/.ssh")
