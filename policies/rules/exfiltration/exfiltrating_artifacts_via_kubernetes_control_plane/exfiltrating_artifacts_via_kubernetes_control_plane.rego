# METADATA
# title: "Exfiltrating Artifacts via Kubernetes Control Plane"
# description: >-
#   tar started by the container runtime without a terminal (what `kubectl cp` runs in the
#   container) read a file outside the system directories: files copied out of a pod.
# custom:
#   id: exfiltrating_artifacts_via_kubernetes_control_plane
#   priority: NOTICE
#   enabled: false
#   tags: ["maturity_incubating", "container", "filesystem", "mitre_exfiltration", "TA0010"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.exfiltrating_artifacts_via_kubernetes_control_plane

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
	doc.process.name == "tar"
	macros.open_read(doc)
	macros.container(doc)
	macros.container_entrypoint(doc)
	doc.process.tty == 0
	not _side_effect(doc.event.path)
	msg := sprintf("Exfiltrating Artifacts via Kubernetes Control Plane (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco's system_level_side_effect_artifacts_kubectl_cp: what tar opens for itself.
_side_effect(path) if path == "/"

_side_effect(path) if {
	some prefix in lists.kubectl_cp_side_effect_prefixes
	startswith(path, prefix)
}
