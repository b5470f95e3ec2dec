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

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"init_module", "finit_module"}
	macros.container(input)
	macros.has_capability(input, "CAP_SYS_MODULE")
	msg := sprintf("Linux Kernel Module injection from container (module=%s res=%d)", [macros.args_string(input), input.event.ret])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
