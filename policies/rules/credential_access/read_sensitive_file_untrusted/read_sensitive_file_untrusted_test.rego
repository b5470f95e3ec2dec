package bpfopa.rules.read_sensitive_file_untrusted_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.read_sensitive_file_untrusted

test_alerts_cat_reads_shadow if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": ["/etc/shadow"], "argv0": "cat", "cmdline": "cat /etc/shadow"}})
	found := read_sensitive_file_untrusted.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read sensitive file untrusted"
	alert.id == "read_sensitive_file_untrusted"
}

test_alerts_python_reads_pam_d if {
	doc := testing.open("/etc/pam.d/common-auth", 2, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": ["x.py"], "argv0": "python3", "cmdline": "python3 x.py"}})
	found := read_sensitive_file_untrusted.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read sensitive file untrusted"
	alert.id == "read_sensitive_file_untrusted"
}

test_no_alert_failed_open if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": ["/etc/shadow"], "argv0": "cat", "cmdline": "cat /etc/shadow"}, "event": {"ret": -13, "error": "EACCES"}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}

test_no_alert_trusted_reader if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "passwd", "exe": "/usr/bin/passwd", "args": [], "argv0": "passwd", "cmdline": "passwd"}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}

test_no_alert_write_only if {
	doc := testing.open("/etc/shadow", 1, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}

test_no_alert_mandb_postinst if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "perl", "exe": "/usr/bin/perl", "args": ["-e", "@pwd = getpwnam(x); exec /usr/bin/mandb"], "argv0": "perl", "cmdline": "perl -e @pwd = getpwnam(x); exec /usr/bin/mandb"}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}

test_no_alert_chef_child if {
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat", "ancestors": [{"name": "chef-client"}]}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}

test_no_alert_runuser_pam if {
	doc := testing.open("/etc/pam.d/runuser", 0, {"process": {"name": "runuser", "exe": "/usr/bin/runuser", "args": [], "argv0": "runuser", "cmdline": "runuser"}})
	count(read_sensitive_file_untrusted.alerts) == 0 with input as doc
}
