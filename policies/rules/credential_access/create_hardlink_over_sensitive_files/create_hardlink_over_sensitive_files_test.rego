package bpfopa.rules.create_hardlink_over_sensitive_files_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.create_hardlink_over_sensitive_files

test_alerts_linkat_shadow if {
	doc := testing.syscall("linkat", {"event": {"params": {"oldname": "../etc/shadow", "newname": "s"}, "paths": {"oldname": "/etc/shadow", "newname": "/tmp/s"}}})
	found := create_hardlink_over_sensitive_files.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Hardlink Over Sensitive Files"
	alert.id == "create_hardlink_over_sensitive_files"
}

test_alerts_link_sudoers if {
	doc := testing.syscall("link", {"event": {"params": {"oldname": "/etc/sudoers", "newname": "/tmp/x"}}})
	found := create_hardlink_over_sensitive_files.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Hardlink Over Sensitive Files"
	alert.id == "create_hardlink_over_sensitive_files"
}

test_no_alert_link_hosts if {
	doc := testing.syscall("link", {"event": {"params": {"oldname": "/etc/hosts", "newname": "/tmp/h"}, "paths": {"oldname": "/etc/hosts"}}})
	count(create_hardlink_over_sensitive_files.alerts) == 0 with input as doc
}
