package bpfopa.rules.adding_ssh_keys_to_authorized_keys_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.adding_ssh_keys_to_authorized_keys

_write(path, name) := testing.open(path, 1089, {"process": {"name": name}}) # O_WRONLY|O_CREAT|O_APPEND

test_alerts_echo_to_root_keys if {
	found := adding_ssh_keys_to_authorized_keys.alerts with input as _write("/root/.ssh/authorized_keys", "bash")
	count(found) == 1
	some alert in found
	alert.rule == "Adding ssh keys to authorized_keys"
	alert.id == "adding_ssh_keys_to_authorized_keys"
	contains(alert.output, "file=/root/.ssh/authorized_keys")
}

test_alerts_user_keys if {
	found := adding_ssh_keys_to_authorized_keys.alerts with input as _write("/home/alice/.ssh/authorized_keys", "python3")
	count(found) == 1
	some alert in found
	alert.rule == "Adding ssh keys to authorized_keys"
	alert.id == "adding_ssh_keys_to_authorized_keys"
}

test_no_alert_ssh_copy if {
	count(adding_ssh_keys_to_authorized_keys.alerts) == 0 with input as _write("/home/alice/.ssh/authorized_keys", "sshd")
}

test_no_alert_read_only if {
	count(adding_ssh_keys_to_authorized_keys.alerts) == 0 with input as testing.open("/root/.ssh/authorized_keys", 0, {"process": {"name": "cat"}})
}

test_no_alert_other_file if {
	count(adding_ssh_keys_to_authorized_keys.alerts) == 0 with input as _write("/root/.ssh/known_hosts", "bash")
}

test_no_alert_outside_ssh_dir if {
	count(adding_ssh_keys_to_authorized_keys.alerts) == 0 with input as _write("/tmp/authorized_keys", "bash")
}
