# METADATA
# title: "Linux Kernel Module Injection Detected"
# description: >-
#   A process in a container with CAP_SYS_MODULE in its effective capabilities loaded a
#   kernel module (init_module/finit_module).
# custom:
#   id: linux_kernel_module_injection_detected
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "mitre_persistence", "TA0003"]
#   syscalls: [init_module, finit_module]
package bpfopa.rules.linux_kernel_module_injection_detected

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
	doc.event.name in {"init_module", "finit_module"}
	macros.container(doc)
	macros.has_capability(doc, "CAP_SYS_MODULE")
	msg := sprintf("Linux Kernel Module injection from container (module=%s res=%d)", [macros.args_string(doc), doc.event.ret])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
