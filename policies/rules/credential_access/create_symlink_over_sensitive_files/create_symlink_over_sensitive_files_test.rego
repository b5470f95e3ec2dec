package bpfopa.rules.create_symlink_over_sensitive_files_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.create_symlink_over_sensitive_files

test_alerts_symlink_shadow if {
	doc := testing.syscall("symlink", {"event": {"params": {"oldname": "/etc/shadow", "newname": "/tmp/s"}, "paths": {"newname": "/tmp/s"}}})
	found := create_symlink_over_sensitive_files.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Symlink Over Sensitive Files"
	alert.id == "create_symlink_over_sensitive_files"
}

test_alerts_symlinkat_root if {
	doc := testing.syscall("symlinkat", {"event": {"params": {"oldname": "/root", "newdfd": -100, "newname": "r"}}})
	found := create_symlink_over_sensitive_files.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Symlink Over Sensitive Files"
	alert.id == "create_symlink_over_sensitive_files"
}

test_alerts_relative_target if {
	doc := testing.syscall("symlink", {"event": {"params": {"oldname": "../etc/shadow", "newname": "/tmp/s"}, "path": "/tmp/s", "paths": {"newname": "/tmp/s", "oldname": "/etc/shadow"}}})
	found := create_symlink_over_sensitive_files.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Symlink Over Sensitive Files"
	alert.id == "create_symlink_over_sensitive_files"
}

test_no_alert_symlink_hosts if {
	doc := testing.syscall("symlink", {"event": {"params": {"oldname": "/etc/hosts", "newname": "/tmp/h"}}})
	count(create_symlink_over_sensitive_files.alerts) == 0 with input as doc
}
