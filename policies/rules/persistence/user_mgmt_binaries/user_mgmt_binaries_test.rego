package bpfopa.rules.user_mgmt_binaries_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.user_mgmt_binaries

test_alerts_useradd if {
	doc := testing.exec({"process": {"name": "useradd", "exe": "/usr/bin/useradd", "args": ["-m", "backdoor"], "argv0": "useradd", "cmdline": "useradd -m backdoor"}})
	found := user_mgmt_binaries.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "User mgmt binaries"
	alert.id == "user_mgmt_binaries"
}

test_alerts_unknown_parent if {
	doc := testing.exec({"process": {"name": "usermod", "exe": "/usr/bin/usermod", "args": ["-aG", "sudo", "eve"], "argv0": "usermod", "cmdline": "usermod -aG sudo eve", "parent": null}})
	found := user_mgmt_binaries.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "User mgmt binaries"
	alert.id == "user_mgmt_binaries"
}

test_alerts_passwd_change if {
	doc := testing.exec({"process": {"name": "passwd", "exe": "/usr/bin/passwd", "args": ["root"], "argv0": "passwd", "cmdline": "passwd root"}})
	found := user_mgmt_binaries.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "User mgmt binaries"
	alert.id == "user_mgmt_binaries"
}

test_no_alert_passwd_status if {
	doc := testing.exec({"process": {"name": "passwd", "exe": "/usr/bin/passwd", "args": ["-S", "alice"], "argv0": "passwd", "cmdline": "passwd -S alice"}})
	count(user_mgmt_binaries.alerts) == 0 with input as doc
}

test_no_alert_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "useradd", "exe": "/usr/bin/useradd", "args": ["-m", "app"], "argv0": "useradd", "cmdline": "useradd -m app"}}))
	count(user_mgmt_binaries.alerts) == 0 with input as doc
}

test_no_alert_below_cron if {
	doc := testing.exec({"process": {"name": "chage", "exe": "/usr/bin/chage", "args": ["-M", "90", "alice"], "argv0": "chage", "cmdline": "chage -M 90 alice", "parent": {"name": "cron"}}})
	count(user_mgmt_binaries.alerts) == 0 with input as doc
}

test_no_alert_below_yum if {
	doc := testing.exec({"process": {"name": "useradd", "exe": "/usr/bin/useradd", "args": ["x"], "argv0": "useradd", "cmdline": "useradd x", "parent": {"name": "sh"}, "ancestors": [{"name": "yum"}]}})
	count(user_mgmt_binaries.alerts) == 0 with input as doc
}
