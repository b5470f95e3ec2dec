# METADATA
# title: "Launch Sensitive Mount Container"
# description: >-
#   The first process of a container started with a sensitive host path mounted (/proc, the
#   container runtime sockets, /var/lib/kubelet, /, /etc, /root, ...), images Falco trusts
#   left out.
# custom:
#   id: launch_sensitive_mount_container
#   priority: INFORMATIONAL
#   tags: ["maturity_sandbox", "container", "cis", "mitre_execution", "T1610"]
#   syscalls: [execve, execveat]
#   output_fields: [container.mounts]
package bpfopa.rules.launch_sensitive_mount_container

import data.bpfopa.lib.config
import data.bpfopa.lib.events
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
	doc.process.vpid == 1
	macros.container_started(doc)
	mounts := macros.sensitive_mounts(doc)
	count(mounts) > 0
	not macros.falco_sensitive_mount_containers(doc)
	msg := sprintf("Container with sensitive mount started (mounts=%s)", [concat(",", mounts)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
