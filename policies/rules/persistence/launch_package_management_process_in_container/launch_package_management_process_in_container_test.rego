package bpfopa.rules.launch_package_management_process_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_package_management_process_in_container

test_alerts_apt_get_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "apt-get", "exe": "/usr/bin/apt-get", "args": ["install", "-y", "nmap"], "argv0": "apt-get", "cmdline": "apt-get install -y nmap"}}))
	found := launch_package_management_process_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Launch Package Management Process in Container"
	alert.id == "launch_package_management_process_in_container"
}

test_no_alert_apt_get_on_host if {
	doc := testing.exec({"process": {"name": "apt-get", "exe": "/usr/bin/apt-get", "args": ["install", "-y", "nmap"], "argv0": "apt-get", "cmdline": "apt-get install -y nmap"}})
	count(launch_package_management_process_in_container.alerts) == 0 with input as doc
}

test_no_alert_dpkg_below_apt if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "dpkg", "exe": "/usr/bin/dpkg", "args": [], "argv0": "dpkg", "cmdline": "dpkg", "parent": {"name": "apt-get"}}}))
	count(launch_package_management_process_in_container.alerts) == 0 with input as doc
}

test_no_alert_apt_user if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "apt", "exe": "/usr/bin/apt", "args": [], "argv0": "apt", "cmdline": "apt", "user": "_apt"}}))
	count(launch_package_management_process_in_container.alerts) == 0 with input as doc
}
