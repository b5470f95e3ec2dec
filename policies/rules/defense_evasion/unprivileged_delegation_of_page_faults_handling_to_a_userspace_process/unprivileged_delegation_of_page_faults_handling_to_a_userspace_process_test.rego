package bpfopa.rules.unprivileged_delegation_of_page_faults_handling_to_a_userspace_process_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.unprivileged_delegation_of_page_faults_handling_to_a_userspace_process

_userfaultfd(overrides) := testing.syscall("userfaultfd", object.union({"event": {"ret": 3, "params": {"flags": 526336}}}, overrides))

test_alerts_unprivileged if {
	found := unprivileged_delegation_of_page_faults_handling_to_a_userspace_process.alerts with input as _userfaultfd({"process": {"uid": 1, "user": "daemon"}})
	count(found) == 1
	some alert in found
	alert.rule == "Unprivileged Delegation of Page Faults Handling to a Userspace Process"
	alert.id == "unprivileged_delegation_of_page_faults_handling_to_a_userspace_process"
	alert.output == "An userfaultfd syscall was successfully executed by an unprivileged user"
}

test_no_alert_root if {
	count(unprivileged_delegation_of_page_faults_handling_to_a_userspace_process.alerts) == 0 with input as _userfaultfd({"process": {"uid": 0, "user": "root"}})
}

test_no_alert_refused if {
	count(unprivileged_delegation_of_page_faults_handling_to_a_userspace_process.alerts) == 0 with input as _userfaultfd({"event": {"ret": -1, "error": "EPERM"}})
}
