package bpfopa.rules.directory_traversal_monitored_file_read_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.directory_traversal_monitored_file_read

test_alerts_traversal_read if {
	doc := testing.open("/etc/passwd", 0, {"process": {"name": "php-fpm", "parent": {"name": "php-fpm"}}, "event": {"params": {"filename": "/var/www/../../etc/passwd"}}})
	found := directory_traversal_monitored_file_read.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Directory traversal monitored file read"
	alert.id == "directory_traversal_monitored_file_read"
}

test_alerts_unknown_parent if {
	doc := testing.open("/etc/passwd", 0, {"process": {"name": "php-fpm", "parent": null}, "event": {"params": {"filename": "../../etc/passwd"}}})
	found := directory_traversal_monitored_file_read.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Directory traversal monitored file read"
	alert.id == "directory_traversal_monitored_file_read"
}

test_alerts_failed_traversal_probe if {
	doc := testing.open("/root/.ssh/id_rsa", 0, {"process": {"name": "php-fpm", "parent": {"name": "php-fpm"}}, "event": {"ret": -2, "error": "ENOENT", "params": {"filename": "../../root/.ssh/id_rsa"}}})
	found := directory_traversal_monitored_file_read.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Directory traversal monitored file read"
	alert.id == "directory_traversal_monitored_file_read"
}

test_no_alert_absolute_path if {
	doc := testing.open("/etc/passwd", 0, {"process": {"name": "php-fpm", "parent": {"name": "php-fpm"}}})
	count(directory_traversal_monitored_file_read.alerts) == 0 with input as doc
}

test_no_alert_shell_parent if {
	doc := testing.open("/etc/passwd", 0, {"event": {"params": {"filename": "../../etc/passwd"}}})
	count(directory_traversal_monitored_file_read.alerts) == 0 with input as doc
}
