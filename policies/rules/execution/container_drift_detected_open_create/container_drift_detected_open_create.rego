# METADATA
# title: "Container Drift Detected (open+create)"
# description: >-
#   A process in a container created a file with an execute bit in its mode: a new executable
#   appeared in the container after it started.
# custom:
#   id: container_drift_detected_open_create
#   priority: ERROR
#   enabled: false
#   tags: ["maturity_sandbox", "container", "process", "filesystem", "mitre_execution", "T1059"]
#   syscalls: [open, openat, openat2, creat]
package bpfopa.rules.container_drift_detected_open_create

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
	macros.container(doc)
	macros.succeeded(doc)
	macros.open_exec(doc)
	not macros.runc_writing_exec_fifo(doc)
	not macros.runc_writing_var_lib_docker(doc)
	msg := sprintf("Drift detected (open+create), new executable created in a container (filename=%s mode=%o)", [object.get(doc.event, "path", "<NA>"), macros.create_mode(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
