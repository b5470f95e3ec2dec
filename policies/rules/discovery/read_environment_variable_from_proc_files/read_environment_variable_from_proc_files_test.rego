package bpfopa.rules.read_environment_variable_from_proc_files_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.read_environment_variable_from_proc_files

_read(path, overrides) := testing.open(path, 524288, object.union(testing.in_container, object.union({"process": {"name": "cat"}}, overrides))) # O_RDONLY|O_CLOEXEC

test_alerts_cat_self_environ if {
	found := read_environment_variable_from_proc_files.alerts with input as _read("/proc/self/environ", {})
	count(found) == 1
	some alert in found
	alert.rule == "Read environment variable from /proc files"
	alert.id == "read_environment_variable_from_proc_files"
	contains(alert.output, "file=/proc/self/environ gparent=tmux ggparent=systemd gggparent=<NA>")
}

test_alerts_other_process if {
	found := read_environment_variable_from_proc_files.alerts with input as _read("/proc/1/environ", {})
	count(found) == 1
	some alert in found
	alert.rule == "Read environment variable from /proc files"
	alert.id == "read_environment_variable_from_proc_files"
}

test_no_alert_on_host if {
	count(read_environment_variable_from_proc_files.alerts) == 0 with input as testing.open("/proc/1/environ", 0, {"process": {"name": "cat"}})
}

test_no_alert_known_reader if {
	count(read_environment_variable_from_proc_files.alerts) == 0 with input as _read("/proc/1/environ", {"process": {"name": "argoexec"}})
}

test_no_alert_other_proc_file if {
	count(read_environment_variable_from_proc_files.alerts) == 0 with input as _read("/proc/1/status", {})
}
