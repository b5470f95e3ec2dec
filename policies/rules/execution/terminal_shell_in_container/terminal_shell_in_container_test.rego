package bpfopa.rules.terminal_shell_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.terminal_shell_in_container

test_alerts_docker_exec_tty if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash", "parent": {"name": "runc"}}}))
	found := terminal_shell_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Terminal shell in container"
	alert.id == "terminal_shell_in_container"
}

test_alerts_no_parent if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "sh", "exe": "/usr/bin/sh", "args": [], "argv0": "sh", "cmdline": "sh", "parent": null}}))
	found := terminal_shell_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Terminal shell in container"
	alert.id == "terminal_shell_in_container"
}

test_no_alert_no_tty if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash", "tty": 0, "parent": {"name": "runc"}}}))
	count(terminal_shell_in_container.alerts) == 0 with input as doc
}

test_no_alert_on_host if {
	doc := testing.exec({"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash", "parent": {"name": "runc"}}})
	count(terminal_shell_in_container.alerts) == 0 with input as doc
}
