package bpfopa.rules.clear_log_activities_test

import data.bpfopa.lib.lists
import data.bpfopa.lib.testing
import data.bpfopa.rules.clear_log_activities

test_alerts_truncate_auth_log if {
	doc := testing.open("/var/log/auth.log", 513, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := clear_log_activities.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Clear Log Activities"
	alert.id == "clear_log_activities"
}

test_alerts_truncate_access_log if {
	doc := testing.open("/srv/www/logs/access_log", 577, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}})
	found := clear_log_activities.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Clear Log Activities"
	alert.id == "clear_log_activities"
}

test_no_alert_append_auth_log if {
	doc := testing.open("/var/log/auth.log", 1025, {"process": {"name": "rsyslogd", "exe": "/usr/bin/rsyslogd", "args": [], "argv0": "rsyslogd", "cmdline": "rsyslogd"}})
	count(clear_log_activities.alerts) == 0 with input as doc
}

test_no_alert_truncate_other_file if {
	doc := testing.open("/tmp/out.txt", 577, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(clear_log_activities.alerts) == 0 with input as doc
}

# The rule's cheap first test must accept every log directory and file name of the lists.
test_log_files_pass_the_cheap_test if {
	every dir in lists.log_directories {
		regex.match(clear_log_activities._log_file_pattern, concat("/", [dir, "x"]))
	}
	every name in lists.log_files {
		regex.match(clear_log_activities._log_file_pattern, concat("/", ["/srv/app", name]))
		regex.match(clear_log_activities._log_file_pattern, name)
	}
	not regex.match(clear_log_activities._log_file_pattern, "/var/lib/app/data.db")
}
