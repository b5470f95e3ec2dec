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
	contains(doc.event.path, "/.ssh") # implied by _ssh_path, and cheaper
	_ssh_path(doc.event.path)
	_reads(doc)
	not doc.process.name in lists.ssh_binaries
	msg := sprintf("ssh-related file/directory read by non-ssh program (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_reads(doc) if macros.open_read(doc)

_reads(doc) if macros.open_directory(doc)

_ssh_path(path) if macros.user_ssh_directory(path)

_ssh_path(path) if startswith(path, "/root/.ssh")
