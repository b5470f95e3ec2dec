package bpfopa.rules.write_below_binary_dir_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.write_below_binary_dir

test_alerts_cp_into_usr_bin if {
	doc := testing.open("/usr/bin/sshd", 577, {"process": {"name": "cp", "exe": "/usr/bin/cp", "args": [], "argv0": "cp", "cmdline": "cp"}})
	found := write_below_binary_dir.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Write below binary dir"
	alert.id == "write_below_binary_dir"
}

test_no_alert_dpkg_writes if {
	doc := testing.open("/usr/bin/sshd", 577, {"process": {"name": "dpkg", "exe": "/usr/bin/dpkg", "args": [], "argv0": "dpkg", "cmdline": "dpkg"}})
	count(write_below_binary_dir.alerts) == 0 with input as doc
}

test_no_alert_subdirectory if {
	doc := testing.open("/usr/bin/x/y", 577, {"process": {"name": "cp", "exe": "/usr/bin/cp", "args": [], "argv0": "cp", "cmdline": "cp"}})
	count(write_below_binary_dir.alerts) == 0 with input as doc
}

test_no_alert_get_pip if {
	doc := testing.open("/usr/bin/pip", 577, {"process": {"name": "python", "exe": "/usr/bin/python", "args": ["get-pip.py"], "argv0": "python", "cmdline": "python get-pip.py"}})
	count(write_below_binary_dir.alerts) == 0 with input as doc
}
