# METADATA
# title: "Create files below dev"
# description: >-
#   A file was created directly in /dev by a program that does not manage devices: some
#   rootkits hide files there.
# custom:
#   id: create_files_below_dev
#   priority: ERROR
#   tags: ["maturity_incubating", "host", "filesystem", "mitre_persistence", "T1543"]
#   syscalls: [open, openat, openat2, creat]
package bpfopa.rules.create_files_below_dev

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
	path := doc.event.path
	startswith(path, "/dev/") # implied by the dirname test below, and far cheaper
	_creates(doc)
	macros.dirname(path) == "/dev"
	not doc.process.name in lists.dev_creation_binaries
	not path in lists.allowed_dev_files
	not startswith(path, "/dev/tty")
	msg := sprintf("File created below /dev by untrusted program (file=%s)", [path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_creates(doc) if doc.event.name == "creat"

_creates(doc) if {
	doc.event.name in macros.open_syscalls
	macros.flag_set(doc, macros.o_creat, "O_CREAT")
}
