package bpfopa.rules.find_aws_credentials_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.find_aws_credentials

test_alerts_grep_secret_key if {
	doc := testing.exec({"process": {"name": "grep", "exe": "/usr/bin/grep", "args": ["-ri", "AWS_SECRET_ACCESS_KEY", "/home"], "argv0": "grep", "cmdline": "grep -ri AWS_SECRET_ACCESS_KEY /home"}})
	found := find_aws_credentials.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Find AWS Credentials"
	alert.id == "find_aws_credentials"
}

test_alerts_find_credentials if {
	doc := testing.exec({"process": {"name": "find", "exe": "/usr/bin/find", "args": ["/home", "-path", "*.aws/credentials"], "argv0": "find", "cmdline": "find /home -path *.aws/credentials"}})
	found := find_aws_credentials.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Find AWS Credentials"
	alert.id == "find_aws_credentials"
}

test_no_alert_grep_other if {
	doc := testing.exec({"process": {"name": "grep", "exe": "/usr/bin/grep", "args": ["-ri", "password", "/home"], "argv0": "grep", "cmdline": "grep -ri password /home"}})
	count(find_aws_credentials.alerts) == 0 with input as doc
}

test_no_alert_find_other if {
	doc := testing.exec({"process": {"name": "find", "exe": "/usr/bin/find", "args": ["/home", "-name", "config"], "argv0": "find", "cmdline": "find /home -name config"}})
	count(find_aws_credentials.alerts) == 0 with input as doc
}
