package bpfopa.rules.modify_shell_configuration_file_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.modify_shell_configuration_file

test_alerts_nano_bashrc if {
	doc := testing.open("/root/.bashrc", 577, {"process": {"name": "nano", "exe": "/usr/bin/nano", "args": ["/root/.bashrc"], "argv0": "nano", "cmdline": "nano /root/.bashrc"}})
	found := modify_shell_configuration_file.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Modify Shell Configuration File"
	alert.id == "modify_shell_configuration_file"
}

test_alerts_etc_zsh if {
	doc := testing.open("/etc/zsh/zshrc", 1, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}})
	found := modify_shell_configuration_file.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Modify Shell Configuration File"
	alert.id == "modify_shell_configuration_file"
}

test_no_alert_bash_history_by_bash if {
	doc := testing.open("/root/.bash_history", 1025, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(modify_shell_configuration_file.alerts) == 0 with input as doc
}

test_no_alert_read_bashrc if {
	doc := testing.open("/root/.bashrc", 0, {"process": {"name": "nano", "exe": "/usr/bin/nano", "args": [], "argv0": "nano", "cmdline": "nano"}})
	count(modify_shell_configuration_file.alerts) == 0 with input as doc
}

test_no_alert_docker_save if {
	doc := testing.open("/root/.bashrc", 577, {"process": {"name": "exe", "exe": "/usr/bin/exe", "args": ["save", "/var/lib/docker/x"], "argv0": "exe", "cmdline": "exe save /var/lib/docker/x", "parent": {"name": "dockerd"}}})
	count(modify_shell_configuration_file.alerts) == 0 with input as doc
}
