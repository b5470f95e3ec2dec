# METADATA
# title: "Write below root"
# description: >-
#   A program opened a file below /root for writing, less the state files and directories
#   programs are known to keep there. (Falco's rule also covers files directly below /; the
#   kernel's open filter cannot keep those, see docs/policies.md.)
# custom:
#   id: write_below_root
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "TA0003"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_root

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
	_root_dir(doc.event.path)
	macros.open_write(doc)
	macros.proc_name_exists(doc)
	not doc.event.path in lists.known_root_files
	not macros.write_root_known_activity(doc)
	msg := sprintf("File below / or /root opened for writing (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco's root_dir is fd.directory=/ or fd.name startswith /root/. Only the second part: no
# path literal of the kernel's open filter (lib/events.open_written) says "directly below /",
# so the probes drop those opens before any rule could see them.
_root_dir(path) if startswith(path, "/root/")
