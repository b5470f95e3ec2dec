package bpfopa.rules.read_ssh_information_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.read_ssh_information

test_alerts_cat_id_rsa if {
	doc := testing.open("/home/bob/.ssh/id_rsa", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	found := read_ssh_information.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read ssh information"
	alert.id == "read_ssh_information"
}

test_alerts_list_root_ssh if {
	doc := testing.syscall("openat", {"process": {"name": "ls", "exe": "/usr/bin/ls", "args": [], "argv0": "ls", "cmdline": "ls"}, "event": {"ret": 3, "params": {"filename": "/root/.ssh", "flags": 591872}, "flags": ["O_RDONLY", "O_NONBLOCK", "O_CLOEXEC", "O_DIRECTORY"], "path": "/root/.ssh"}})
	found := read_ssh_information.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Read ssh information"
	alert.id == "read_ssh_information"
}

test_no_alert_ssh_reads_key if {
	doc := testing.open("/home/bob/.ssh/id_rsa", 0, {"process": {"name": "ssh", "exe": "/usr/bin/ssh", "args": [], "argv0": "ssh", "cmdline": "ssh"}})
	count(read_ssh_information.alerts) == 0 with input as doc
}

test_no_alert_other_file if {
	doc := testing.open("/home/bob/.profile", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	count(read_ssh_information.alerts) == 0 with input as doc
}
