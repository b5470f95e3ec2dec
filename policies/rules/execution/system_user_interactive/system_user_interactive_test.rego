package bpfopa.rules.system_user_interactive_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.system_user_interactive

test_alerts_www_data_over_ssh if {
	doc := testing.exec({"process": {"name": "id", "exe": "/usr/bin/id", "args": [], "argv0": "id", "cmdline": "id", "user": "www-data", "ancestors": [{"name": "sshd"}]}})
	found := system_user_interactive.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "System user interactive"
	alert.id == "system_user_interactive"
}

test_alerts_login_as_nobody if {
	doc := testing.exec({"process": {"name": "login", "exe": "/usr/bin/login", "args": [], "argv0": "login", "cmdline": "login", "user": "nobody"}})
	found := system_user_interactive.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "System user interactive"
	alert.id == "system_user_interactive"
}

test_no_alert_regular_user_over_ssh if {
	doc := testing.exec({"process": {"name": "id", "exe": "/usr/bin/id", "args": [], "argv0": "id", "cmdline": "id", "ancestors": [{"name": "sshd"}]}})
	count(system_user_interactive.alerts) == 0 with input as doc
}

test_no_alert_sshd_itself if {
	doc := testing.exec({"process": {"name": "sshd", "exe": "/usr/bin/sshd", "args": [], "argv0": "sshd", "cmdline": "sshd", "user": "sshd", "ancestors": [{"name": "sshd"}]}})
	count(system_user_interactive.alerts) == 0 with input as doc
}
