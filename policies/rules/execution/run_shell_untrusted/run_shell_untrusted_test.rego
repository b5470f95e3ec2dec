package bpfopa.rules.run_shell_untrusted_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.run_shell_untrusted

test_alerts_shell_below_nginx if {
	doc := testing.exec({"process": {"name": "bash", "exe": "/usr/bin/bash", "args": ["-c", "id"], "argv0": "bash", "cmdline": "bash -c id", "parent": {"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx: worker process"}}})
	found := run_shell_untrusted.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Run shell untrusted"
	alert.id == "run_shell_untrusted"
}

test_alerts_shell_below_kafka if {
	doc := testing.exec({"process": {"name": "sh", "exe": "/usr/bin/sh", "args": ["-c", "id"], "argv0": "sh", "cmdline": "sh -c id", "parent": {"name": "java", "exe": "/usr/lib/jvm/bin/java", "cmdline": "java kafka.Kafka server.properties"}}})
	found := run_shell_untrusted.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Run shell untrusted"
	alert.id == "run_shell_untrusted"
}

test_no_alert_shell_below_tmux if {
	doc := testing.exec({"process": {"name": "bash", "exe": "/usr/bin/bash", "args": ["-c", "id"], "argv0": "bash", "cmdline": "bash -c id"}})
	count(run_shell_untrusted.alerts) == 0 with input as doc
}

test_no_alert_known_cmdline if {
	doc := testing.exec({"process": {"name": "sh", "exe": "/usr/bin/sh", "args": ["-c", "whoami"], "argv0": "sh", "cmdline": "sh -c whoami", "parent": {"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx"}}})
	count(run_shell_untrusted.alerts) == 0 with input as doc
}

test_no_alert_known_script if {
	doc := testing.exec({"process": {"name": "sh", "exe": "/usr/bin/sh", "args": ["-c", "serf", "members"], "argv0": "sh", "cmdline": "sh -c serf members", "parent": {"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx"}}})
	count(run_shell_untrusted.alerts) == 0 with input as doc
}

test_no_alert_package_manager_hook if {
	doc := testing.exec({"process": {"name": "sh", "exe": "/usr/bin/sh", "args": ["-c", "x"], "argv0": "sh", "cmdline": "sh -c x", "parent": {"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx"}, "ancestors": [{"name": "dpkg"}]}})
	count(run_shell_untrusted.alerts) == 0 with input as doc
}

test_no_alert_failed_exec if {
	doc := testing.exec({"process": {"name": "bash", "exe": "/usr/bin/bash", "args": ["-c", "id"], "argv0": "bash", "cmdline": "bash -c id", "parent": {"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx"}}, "event": {"ret": -2, "error": "ENOENT"}})
	count(run_shell_untrusted.alerts) == 0 with input as doc
}
