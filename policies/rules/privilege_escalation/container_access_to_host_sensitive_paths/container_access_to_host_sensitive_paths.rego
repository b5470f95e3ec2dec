# METADATA
# title: "Container Access to Host Sensitive Paths"
# description: >-
#   A process in a container opened a file below /host/, /rootfs/ or /hostfs/, where a host
#   file system is usually mounted; container runtimes are left out.
# custom:
#   id: container_access_to_host_sensitive_paths
#   priority: WARNING
#   tags: ["maturity_sandbox", "container", "filesystem", "mitre_privilege_escalation", "T1611"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.container_access_to_host_sensitive_paths

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
	some prefix in lists.host_mount_prefixes
	startswith(doc.event.path, prefix)
	macros.container(doc)
	macros.open_read_or_write(doc)
	not doc.process.name in lists.container_runtime_binaries
	msg := sprintf("Container accessing host filesystem paths (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
