package bpfopa.rules.debugfs_launched_in_privileged_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.debugfs_launched_in_privileged_container

test_alerts_debugfs_privileged if {
	doc := testing.exec({"process": {"name": "debugfs", "exe": "/usr/bin/debugfs", "args": ["/dev/sda1"], "argv0": "debugfs", "cmdline": "debugfs /dev/sda1", "container": {"id": "41e5c07cc310", "privileged": true}}})
	found := debugfs_launched_in_privileged_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Debugfs Launched in Privileged Container"
	alert.id == "debugfs_launched_in_privileged_container"
}

test_no_alert_debugfs_unprivileged if {
	doc := testing.exec({"process": {"name": "debugfs", "exe": "/usr/bin/debugfs", "args": ["/dev/sda1"], "argv0": "debugfs", "cmdline": "debugfs /dev/sda1", "container": {"id": "41e5c07cc310", "privileged": false}}})
	count(debugfs_launched_in_privileged_container.alerts) == 0 with input as doc
}

test_no_alert_other_program_privileged if {
	doc := testing.exec({"process": {"name": "ls", "exe": "/usr/bin/ls", "args": [], "argv0": "ls", "cmdline": "ls", "container": {"id": "41e5c07cc310", "privileged": true}}})
	count(debugfs_launched_in_privileged_container.alerts) == 0 with input as doc
}
