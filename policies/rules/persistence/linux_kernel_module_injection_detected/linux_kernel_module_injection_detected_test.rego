package bpfopa.rules.linux_kernel_module_injection_detected_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.linux_kernel_module_injection_detected

test_alerts_insmod_in_container if {
	doc := testing.syscall("finit_module", object.union(testing.in_container, {"process": {"name": "insmod", "exe": "/usr/bin/insmod", "args": ["rootkit.ko"], "argv0": "insmod", "cmdline": "insmod rootkit.ko", "cap_effective": ["CAP_SYS_MODULE"]}}))
	found := linux_kernel_module_injection_detected.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Linux Kernel Module Injection Detected"
	alert.id == "linux_kernel_module_injection_detected"
}

test_no_alert_without_capability if {
	doc := testing.syscall("finit_module", object.union(testing.in_container, {"process": {"name": "insmod", "exe": "/usr/bin/insmod", "args": ["rootkit.ko"], "argv0": "insmod", "cmdline": "insmod rootkit.ko"}}))
	count(linux_kernel_module_injection_detected.alerts) == 0 with input as doc
}

test_no_alert_on_host if {
	doc := testing.syscall("init_module", {"process": {"name": "modprobe", "exe": "/usr/bin/modprobe", "args": [], "argv0": "modprobe", "cmdline": "modprobe", "cap_effective": ["CAP_SYS_MODULE"]}})
	count(linux_kernel_module_injection_detected.alerts) == 0 with input as doc
}
