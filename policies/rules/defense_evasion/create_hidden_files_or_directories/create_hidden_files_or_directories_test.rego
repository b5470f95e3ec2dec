package bpfopa.rules.create_hidden_files_or_directories_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.create_hidden_files_or_directories

test_alerts_mkdir_hidden if {
	doc := testing.syscall("mkdir", {"process": {"name": "mkdir", "exe": "/usr/bin/mkdir", "args": [], "argv0": "mkdir", "cmdline": "mkdir"}, "event": {"path": "/tmp/.x"}})
	found := create_hidden_files_or_directories.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Hidden Files or Directories"
	alert.id == "create_hidden_files_or_directories"
}

test_alerts_rename_hidden if {
	doc := testing.syscall("renameat2", {"process": {"name": "mv", "exe": "/usr/bin/mv", "args": [], "argv0": "mv", "cmdline": "mv"}, "event": {"path": "/tmp/x", "paths": {"oldname": "/tmp/x", "newname": "/tmp/.x"}}})
	found := create_hidden_files_or_directories.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Hidden Files or Directories"
	alert.id == "create_hidden_files_or_directories"
}

test_alerts_create_hidden if {
	doc := testing.open("/var/tmp/.payload", 65, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	found := create_hidden_files_or_directories.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Create Hidden Files or Directories"
	alert.id == "create_hidden_files_or_directories"
}

test_no_alert_mkdir_visible if {
	doc := testing.syscall("mkdir", {"process": {"name": "mkdir", "exe": "/usr/bin/mkdir", "args": [], "argv0": "mkdir", "cmdline": "mkdir"}, "event": {"path": "/tmp/x"}})
	count(create_hidden_files_or_directories.alerts) == 0 with input as doc
}

test_no_alert_excluded_dir if {
	doc := testing.open("/root/.cassandra/x", 65, {"process": {"name": "java", "exe": "/usr/bin/java", "args": [], "argv0": "java", "cmdline": "java"}})
	count(create_hidden_files_or_directories.alerts) == 0 with input as doc
}

test_no_alert_open_without_creat if {
	doc := testing.open("/var/tmp/.payload", 1, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	count(create_hidden_files_or_directories.alerts) == 0 with input as doc
}
