package bpfopa.rules.web_server_spawned_shell_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.web_server_spawned_shell

_exec(name, cmdline, overrides) := testing.exec(object.union(
	{"process": {
		"name": name, "exe": concat("/", ["/usr/bin", name]), "args": array.slice(split(cmdline, " "), 1, 100),
		"argv0": name, "cmdline": cmdline,
	}},
	overrides,
))

_below(parent) := {"process": {"parent": {"name": parent}}}

test_alerts_sh_below_nginx if {
	found := web_server_spawned_shell.alerts with input as _exec("sh", "sh -c id", _below("nginx"))
	count(found) == 1
	some alert in found
	alert.rule == "Web Server Spawned Shell"
	alert.id == "web_server_spawned_shell"
	contains(alert.output, "shell=sh web_server=nginx gparent=tmux")
}

test_alerts_bash_below_php_fpm_grandparent if {
	found := web_server_spawned_shell.alerts with input as _exec("bash", "bash -c id", {"process": {"parent": {"name": "sh"}, "ancestors": [{"name": "php-fpm"}]}})
	count(found) == 1
	some alert in found
	alert.rule == "Web Server Spawned Shell"
	alert.id == "web_server_spawned_shell"
}

test_no_alert_shell_below_shell if {
	count(web_server_spawned_shell.alerts) == 0 with input as _exec("sh", "sh -c id", _below("bash"))
}

test_no_alert_healthcheck if {
	count(web_server_spawned_shell.alerts) == 0 with input as _exec("sh", "sh -c /opt/healthcheck.sh", _below("nginx"))
}

test_no_alert_usr_bin_helper if {
	count(web_server_spawned_shell.alerts) == 0 with input as _exec("sh", "sh -c /usr/bin/logrotate", _below("httpd"))
}
