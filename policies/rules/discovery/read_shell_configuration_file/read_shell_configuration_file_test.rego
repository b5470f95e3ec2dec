package bpfopa.rules.read_shell_configuration_file_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.read_shell_configuration_file

test_alerts_cat_bashrc if {
	doc := testing.open("/home/alice/.bashrc", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	found := read_shell_configuration_file.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read Shell Configuration File"
	alert.id == "read_shell_configuration_file"
}

test_no_alert_bash_reads_bashrc if {
	doc := testing.open("/home/alice/.bashrc", 0, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(read_shell_configuration_file.alerts) == 0 with input as doc
}

test_no_alert_cat_other if {
	doc := testing.open("/home/alice/notes", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	count(read_shell_configuration_file.alerts) == 0 with input as doc
}
