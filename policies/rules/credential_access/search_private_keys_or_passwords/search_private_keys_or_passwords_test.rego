package bpfopa.rules.search_private_keys_or_passwords_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.search_private_keys_or_passwords

test_alerts_grep_key_header if {
	doc := testing.exec({"process": {"name": "grep", "exe": "/usr/bin/grep", "args": ["-rl", "begin rsa private", "/home"], "argv0": "grep", "cmdline": "grep -rl begin rsa private /home"}})
	found := search_private_keys_or_passwords.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Search Private Keys or Passwords"
	alert.id == "search_private_keys_or_passwords"
}

test_alerts_find_id_rsa if {
	doc := testing.exec({"process": {"name": "find", "exe": "/usr/bin/find", "args": ["/", "-name", "id_rsa"], "argv0": "find", "cmdline": "find / -name id_rsa"}})
	found := search_private_keys_or_passwords.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Search Private Keys or Passwords"
	alert.id == "search_private_keys_or_passwords"
}

test_no_alert_grep_other if {
	doc := testing.exec({"process": {"name": "grep", "exe": "/usr/bin/grep", "args": ["-rl", "TODO", "/src"], "argv0": "grep", "cmdline": "grep -rl TODO /src"}})
	count(search_private_keys_or_passwords.alerts) == 0 with input as doc
}

test_no_alert_find_other if {
	doc := testing.exec({"process": {"name": "find", "exe": "/usr/bin/find", "args": ["/", "-name", "*.log"], "argv0": "find", "cmdline": "find / -name *.log"}})
	count(search_private_keys_or_passwords.alerts) == 0 with input as doc
}
