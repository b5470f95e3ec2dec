package bpfopa.rules.web_server_spawned_suspicious_child_process_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.web_server_spawned_suspicious_child_process

_exec(name, cmdline, overrides) := testing.exec(object.union(
	{"process": {
		"name": name, "exe": concat("/", ["/usr/bin", name]), "args": array.slice(split(cmdline, " "), 1, 100),
		"argv0": name, "cmdline": cmdline,
	}},
	overrides,
))

_below(parent) := {"process": {"parent": {"name": parent}}}

test_alerts_whoami_below_apache if {
	found := web_server_spawned_suspicious_child_process.alerts with input as _exec("whoami", "whoami", _below("apache2"))
	count(found) == 1
	some alert in found
	alert.rule == "Web Server Spawned Suspicious Child Process"
	alert.id == "web_server_spawned_suspicious_child_process"
	contains(alert.output, "child=whoami web_server=apache2")
}

test_alerts_curl_below_gunicorn if {
	found := web_server_spawned_suspicious_child_process.alerts with input as _exec("curl", "curl http://203.0.113.5/x", {"process": {"parent": {"name": "sh"}, "ancestors": [{"name": "gunicorn"}]}})
	count(found) == 1
	some alert in found
	alert.rule == "Web Server Spawned Suspicious Child Process"
	alert.id == "web_server_spawned_suspicious_child_process"
}

test_no_alert_status_probe if {
	count(web_server_spawned_suspicious_child_process.alerts) == 0 with input as _exec("curl", "curl localhost/status", _below("nginx"))
}

test_no_alert_ordinary_child if {
	count(web_server_spawned_suspicious_child_process.alerts) == 0 with input as _exec("logrotate", "logrotate /etc/x", _below("nginx"))
}

test_no_alert_not_below_web_server if {
	count(web_server_spawned_suspicious_child_process.alerts) == 0 with input as _exec("whoami", "whoami", {})
}
