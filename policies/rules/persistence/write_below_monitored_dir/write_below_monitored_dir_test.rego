package bpfopa.rules.write_below_monitored_dir_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.write_below_monitored_dir

test_alerts_authorized_keys if {
	doc := testing.open("/root/.ssh/authorized_keys", 1025, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := write_below_monitored_dir.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Write below monitored dir"
	alert.id == "write_below_monitored_dir"
}

test_alerts_user_ssh_dir if {
	doc := testing.open("/home/bob/.ssh/authorized_keys", 577, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}})
	found := write_below_monitored_dir.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Write below monitored dir"
	alert.id == "write_below_monitored_dir"
}

test_no_alert_root_home if {
	doc := testing.open("/root/notes.txt", 577, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	count(write_below_monitored_dir.alerts) == 0 with input as doc
}

test_no_alert_mkinitramfs if {
	doc := testing.open("/boot/initrd.img", 577, {"process": {"name": "cpio", "exe": "/usr/bin/cpio", "args": [], "argv0": "cpio", "cmdline": "cpio", "parent": {"name": "mkinitramfs"}}})
	count(write_below_monitored_dir.alerts) == 0 with input as doc
}

test_no_alert_cloud_init if {
	doc := testing.open("/home/bob/.ssh/authorized_keys", 577, {"process": {"name": "cloud-init", "exe": "/usr/bin/cloud-init", "args": [], "argv0": "cloud-init", "cmdline": "cloud-init"}})
	count(write_below_monitored_dir.alerts) == 0 with input as doc
}
