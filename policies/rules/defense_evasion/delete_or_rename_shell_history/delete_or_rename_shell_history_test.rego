package bpfopa.rules.delete_or_rename_shell_history_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.delete_or_rename_shell_history

test_alerts_unlink_history if {
	doc := testing.syscall("unlink", {"process": {"name": "rm", "exe": "/usr/bin/rm", "args": [], "argv0": "rm", "cmdline": "rm"}, "event": {"path": "/root/.bash_history", "paths": {"pathname": "/root/.bash_history"}}})
	found := delete_or_rename_shell_history.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Delete or rename shell history"
	alert.id == "delete_or_rename_shell_history"
}

test_alerts_truncate_history if {
	doc := testing.open("/home/alice/.zsh_history", 513, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := delete_or_rename_shell_history.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Delete or rename shell history"
	alert.id == "delete_or_rename_shell_history"
}

test_no_alert_append_history if {
	doc := testing.open("/root/.bash_history", 1025, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(delete_or_rename_shell_history.alerts) == 0 with input as doc
}

test_no_alert_docker_layer if {
	doc := testing.syscall("unlink", {"process": {"name": "rm", "exe": "/usr/bin/rm", "args": [], "argv0": "rm", "cmdline": "rm"}, "event": {"path": "/var/lib/docker/overlay2/x/root/.bash_history"}})
	count(delete_or_rename_shell_history.alerts) == 0 with input as doc
}
