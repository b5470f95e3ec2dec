package bpfopa.rules.create_files_below_dev_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.create_files_below_dev

test_alerts_openat_creat if {
	doc := testing.open("/dev/.rootkit", 65, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := create_files_below_dev.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create files below dev"
	alert.id == "create_files_below_dev"
}

test_alerts_creat if {
	doc := testing.syscall("creat", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"params": {"pathname": "/dev/xmr", "mode": 420}, "path": "/dev/xmr"}})
	found := create_files_below_dev.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create files below dev"
	alert.id == "create_files_below_dev"
}

test_alerts_flag_names_only if {
	doc := testing.syscall("openat", {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}, "event": {"params": {"filename": "/dev/x"}, "flags": ["O_WRONLY", "O_CREAT"], "path": "/dev/x"}})
	found := create_files_below_dev.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create files below dev"
	alert.id == "create_files_below_dev"
}

test_no_alert_dev_null if {
	doc := testing.open("/dev/null", 65, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(create_files_below_dev.alerts) == 0 with input as doc
}

test_no_alert_no_creat if {
	doc := testing.open("/dev/sda", 2, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(create_files_below_dev.alerts) == 0 with input as doc
}

test_no_alert_subdirectory if {
	doc := testing.open("/dev/shm/x", 65, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(create_files_below_dev.alerts) == 0 with input as doc
}
