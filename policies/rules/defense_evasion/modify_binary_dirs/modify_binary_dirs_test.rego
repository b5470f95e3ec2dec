package bpfopa.rules.modify_binary_dirs_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.modify_binary_dirs

test_alerts_unlink_ls if {
	doc := testing.syscall("unlinkat", {"process": {"name": "rm", "exe": "/usr/bin/rm", "args": [], "argv0": "rm", "cmdline": "rm"}, "event": {"params": {"dfd": -100, "pathname": "/usr/bin/ls", "flag": 0}, "path": "/usr/bin/ls", "paths": {"pathname": "/usr/bin/ls"}}})
	found := modify_binary_dirs.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Modify binary dirs"
	alert.id == "modify_binary_dirs"
}

test_alerts_rename_into_bin if {
	doc := testing.syscall("rename", {"process": {"name": "mv", "exe": "/usr/bin/mv", "args": [], "argv0": "mv", "cmdline": "mv"}, "event": {"path": "/tmp/x", "paths": {"oldname": "/tmp/x", "newname": "/bin/ps"}}})
	found := modify_binary_dirs.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Modify binary dirs"
	alert.id == "modify_binary_dirs"
}

test_no_alert_unlink_tmp if {
	doc := testing.syscall("unlink", {"process": {"name": "rm", "exe": "/usr/bin/rm", "args": [], "argv0": "rm", "cmdline": "rm"}, "event": {"path": "/tmp/x", "paths": {"pathname": "/tmp/x"}}})
	count(modify_binary_dirs.alerts) == 0 with input as doc
}

test_no_alert_dpkg_replaces if {
	doc := testing.syscall("rename", {"process": {"name": "dpkg", "exe": "/usr/bin/dpkg", "args": [], "argv0": "dpkg", "cmdline": "dpkg"}, "event": {"path": "/usr/bin/ls.dpkg-new", "paths": {"oldname": "/usr/bin/ls.dpkg-new", "newname": "/usr/bin/ls"}}})
	count(modify_binary_dirs.alerts) == 0 with input as doc
}
