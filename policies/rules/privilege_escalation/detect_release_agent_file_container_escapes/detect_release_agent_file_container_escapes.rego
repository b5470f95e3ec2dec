# METADATA
# title: "Detect release_agent File Container Escapes"
# description: >-
#   In a container, a process with CAP_SYS_ADMIN (and root or CAP_DAC_OVERRIDE) opened a
#   cgroup release_agent file for writing: the classic cgroup v1 container escape.
# custom:
#   id: detect_release_agent_file_container_escapes
#   priority: CRITICAL
#   tags: ["maturity_stable", "container", "process", "mitre_privilege_escalation", "T1611"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.detect_release_agent_file_container_escapes

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
	endswith(doc.event.path, "release_agent")
	macros.open_write(doc)
	macros.container(doc)
	_root_or_dac_override(doc)
	macros.has_capability(doc, "CAP_SYS_ADMIN")
	msg := sprintf("Detect an attempt to exploit a container escape using release_agent file (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_root_or_dac_override(doc) if doc.process.uid == 0

_root_or_dac_override(doc) if macros.has_capability(doc, "CAP_DAC_OVERRIDE")
