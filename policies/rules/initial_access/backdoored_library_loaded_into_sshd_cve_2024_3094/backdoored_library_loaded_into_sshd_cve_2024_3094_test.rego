package bpfopa.rules.backdoored_library_loaded_into_sshd_cve_2024_3094_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.backdoored_library_loaded_into_sshd_cve_2024_3094

_load(name, path) := testing.open(path, 524288, {"process": {"name": name, "exe": "/usr/sbin/sshd"}})

test_alerts_sshd_loads_5_6_1 if {
	found := backdoored_library_loaded_into_sshd_cve_2024_3094.alerts with input as _load("sshd", "/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.1")
	count(found) == 1
	some alert in found
	alert.rule == "Backdoored library loaded into SSHD (CVE-2024-3094)"
	alert.id == "backdoored_library_loaded_into_sshd_cve_2024_3094"
	contains(alert.output, "file=/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.1")
}

test_no_alert_fixed_release if {
	count(backdoored_library_loaded_into_sshd_cve_2024_3094.alerts) == 0 with input as _load("sshd", "/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.5")
}

test_no_alert_other_program if {
	count(backdoored_library_loaded_into_sshd_cve_2024_3094.alerts) == 0 with input as _load("xz", "/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.1")
}
