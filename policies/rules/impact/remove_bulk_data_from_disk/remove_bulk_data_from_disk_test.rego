package bpfopa.rules.remove_bulk_data_from_disk_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.remove_bulk_data_from_disk

test_alerts_shred if {
	doc := testing.exec({"process": {"name": "shred", "exe": "/usr/bin/shred", "args": ["-u", "/var/lib/db"], "argv0": "shred", "cmdline": "shred -u /var/lib/db"}})
	found := remove_bulk_data_from_disk.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Remove Bulk Data from Disk"
	alert.id == "remove_bulk_data_from_disk"
}

test_no_alert_rm if {
	doc := testing.exec({"process": {"name": "rm", "exe": "/usr/bin/rm", "args": ["-f", "/tmp/x"], "argv0": "rm", "cmdline": "rm -f /tmp/x"}})
	count(remove_bulk_data_from_disk.alerts) == 0 with input as doc
}
