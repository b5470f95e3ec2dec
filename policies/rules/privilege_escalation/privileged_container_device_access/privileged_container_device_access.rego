# METADATA
# title: "Privileged Container Device Access"
# description: >-
#   A process in a container opened a host block device (/dev/sd*, /dev/nvme*, /dev/vd*,
#   /dev/xvd*) or /dev/mem, /dev/kmem.
# custom:
#   id: privileged_container_device_access
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "container", "filesystem", "mitre_privilege_escalation", "T1611"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.privileged_container_device_access

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
	startswith(doc.event.path, "/dev/")
	_device(doc.event.path)
	macros.container(doc)
	macros.open_read_or_write(doc)
	msg := sprintf("Container accessing block device (device=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_device(path) if path in lists.memory_devices

_device(path) if {
	some prefix in lists.block_device_prefixes
	startswith(path, prefix)
}
