package bpfopa.rules.update_package_repository_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.update_package_repository

test_alerts_write_sources_list_d if {
	doc := testing.open("/etc/apt/sources.list.d/evil.list", 577, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := update_package_repository.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Update Package Repository"
	alert.id == "update_package_repository"
}

test_alerts_rename_into_repos if {
	doc := testing.syscall("rename", {"process": {"name": "mv", "exe": "/usr/bin/mv", "args": [], "argv0": "mv", "cmdline": "mv"}, "event": {"params": {"oldname": "/tmp/r", "newname": "/etc/yum.repos.d/r.repo"}, "paths": {"oldname": "/tmp/r", "newname": "/etc/yum.repos.d/r.repo"}}})
	found := update_package_repository.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Update Package Repository"
	alert.id == "update_package_repository"
}

test_no_alert_apt_get_writes if {
	doc := testing.open("/etc/apt/sources.list.d/evil.list", 577, {"process": {"name": "apt-get", "exe": "/usr/bin/apt-get", "args": [], "argv0": "apt-get", "cmdline": "apt-get"}})
	count(update_package_repository.alerts) == 0 with input as doc
}

test_no_alert_child_of_dpkg if {
	doc := testing.open("/etc/apt/sources.list", 577, {"process": {"name": "cp", "exe": "/usr/bin/cp", "args": [], "argv0": "cp", "cmdline": "cp", "parent": {"name": "dpkg"}}})
	count(update_package_repository.alerts) == 0 with input as doc
}

test_no_alert_other_file if {
	doc := testing.open("/etc/aptitude.conf", 577, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(update_package_repository.alerts) == 0 with input as doc
}
