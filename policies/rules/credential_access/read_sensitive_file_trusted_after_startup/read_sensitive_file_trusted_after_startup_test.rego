package bpfopa.rules.read_sensitive_file_trusted_after_startup_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.read_sensitive_file_trusted_after_startup

test_alerts_nginx_after_startup if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "nginx", "exe": "/usr/bin/nginx", "args": [], "argv0": "nginx", "cmdline": "nginx", "start_time": "2026-11-28T09:00:00Z"}})
	found := read_sensitive_file_trusted_after_startup.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read sensitive file trusted after startup"
	alert.id == "read_sensitive_file_trusted_after_startup"
}

test_no_alert_nginx_at_startup if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "nginx", "exe": "/usr/bin/nginx", "args": [], "argv0": "nginx", "cmdline": "nginx", "start_time": "2026-11-28T09:29:58Z"}})
	count(read_sensitive_file_trusted_after_startup.alerts) == 0 with input as doc
}

test_no_alert_not_a_server if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	count(read_sensitive_file_trusted_after_startup.alerts) == 0 with input as doc
}
