# METADATA
# title: "BPF Program Not Profiled"
# description: >-
#   A program other than the known BPF users (falco, bpftool, systemd) loaded a BPF program
#   (bpf BPF_PROG_LOAD).
# custom:
#   id: bpf_program_not_profiled
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "mitre_persistence", "TA0003"]
#   syscalls: [bpf]
package bpfopa.rules.bpf_program_not_profiled

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
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
	_prog_load(doc.event.params)
	not doc.process.name in lists.bpf_profiled_binaries
	msg := sprintf("BPF Program Not Profiled (bpf_cmd=%v)", [doc.event.params.cmd])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco: evt.arg.cmd=5 or evt.arg.cmd=BPF_PROG_LOAD.
_prog_load(params) if params.cmd == 5

_prog_load(params) if params.cmd_name == "BPF_PROG_LOAD"
