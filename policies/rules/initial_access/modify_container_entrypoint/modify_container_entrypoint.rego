# METADATA
# title: "Modify Container Entrypoint"
# description: >-
#   A process in a container opened /proc/self/exe or a /proc/self/fd entry for writing: the
#   runc overwrite of CVE-2019-5736.
# custom:
#   id: modify_container_entrypoint
#   priority: WARNING
#   enabled: false
#   tags: ["maturity_sandbox", "container", "filesystem", "mitre_initial_access", "T1611"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.modify_container_entrypoint

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
	startswith(doc.event.path, "/proc/self/")
	macros.open_write(doc)
	macros.container(doc)
	_entrypoint_path(doc.event.path)
	not doc.process.name in lists.docker_binaries
	doc.process.cmdline != "runc:[1:CHILD] init"
	msg := sprintf("Detect Potential Container Breakout Exploit (CVE-2019-5736) (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco: fd.name=/proc/self/exe or fd.name startswith /proc/self/fd/ (the path as opened:
# the capture does not resolve /proc/self).
_entrypoint_path(path) if path == "/proc/self/exe"

_entrypoint_path(path) if startswith(path, "/proc/self/fd/")
