package bpfopa.rules.mkdir_binary_dirs_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.mkdir_binary_dirs

test_alerts_mkdir_in_usr_bin if {
	doc := testing.syscall("mkdir", {"process": {"name": "mkdir", "exe": "/usr/bin/mkdir", "args": [], "argv0": "mkdir", "cmdline": "mkdir"}, "event": {"params": {"pathname": "/usr/bin/.x", "mode": 493}, "path": "/usr/bin/.x"}})
	found := mkdir_binary_dirs.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Mkdir binary dirs"
	alert.id == "mkdir_binary_dirs"
}

test_no_alert_mkdir_tmp if {
	doc := testing.syscall("mkdir", {"process": {"name": "mkdir", "exe": "/usr/bin/mkdir", "args": [], "argv0": "mkdir", "cmdline": "mkdir"}, "event": {"path": "/tmp/.x"}})
	count(mkdir_binary_dirs.alerts) == 0 with input as doc
}

test_no_alert_dpkg if {
	doc := testing.syscall("mkdirat", {"process": {"name": "dpkg", "exe": "/usr/bin/dpkg", "args": [], "argv0": "dpkg", "cmdline": "dpkg"}, "event": {"path": "/usr/bin/x"}})
	count(mkdir_binary_dirs.alerts) == 0 with input as doc
}
