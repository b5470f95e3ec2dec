package bpfopa.rules.write_below_rpm_database_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.write_below_rpm_database

test_alerts_python_writes_rpmdb if {
	doc := testing.open("/var/lib/rpm/Packages", 2, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": ["evil.py"], "argv0": "python3", "cmdline": "python3 evil.py"}})
	found := write_below_rpm_database.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Write below rpm database"
	alert.id == "write_below_rpm_database"
}

test_no_alert_rpm_writes_rpmdb if {
	doc := testing.open("/var/lib/rpm/Packages", 2, {"process": {"name": "rpm", "exe": "/usr/bin/rpm", "args": [], "argv0": "rpm", "cmdline": "rpm"}})
	count(write_below_rpm_database.alerts) == 0 with input as doc
}

test_no_alert_ansible if {
	doc := testing.open("/var/lib/rpm/Packages", 2, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": ["/tmp/ansible_x.py"], "argv0": "python3", "cmdline": "python3 /tmp/ansible_x.py"}})
	count(write_below_rpm_database.alerts) == 0 with input as doc
}
