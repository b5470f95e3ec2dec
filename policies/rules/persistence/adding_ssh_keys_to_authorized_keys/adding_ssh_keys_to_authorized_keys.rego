# METADATA
# title: "Adding ssh keys to authorized_keys"
# description: >-
#   A program other than the ssh tools opened a user's or root's authorized_keys for writing,
#   to keep access to the host.
# custom:
#   id: adding_ssh_keys_to_authorized_keys
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "filesystem", "mitre_persistence", "T1098.004"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.adding_ssh_keys_to_authorized_keys

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
	endswith(doc.event.path, "authorized_keys")
	macros.open_write(doc)
	macros.ssh_directory_path(doc.event.path)
	not doc.process.name in lists.ssh_binaries
	msg := sprintf("Adding ssh keys to authorized_keys (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
