package bpfopa.rules.program_run_with_disallowed_http_proxy_env_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.program_run_with_disallowed_http_proxy_env

test_alerts_curl_with_proxy if {
	doc := testing.exec({"process": {"name": "curl", "exe": "/usr/bin/curl", "args": ["https://example.com"], "argv0": "curl", "cmdline": "curl https://example.com", "env": ["http_proxy=http://203.0.113.9:3128"]}})
	found := program_run_with_disallowed_http_proxy_env.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Program run with disallowed http proxy env"
	alert.id == "program_run_with_disallowed_http_proxy_env"
}

test_no_alert_curl_without_proxy if {
	doc := testing.exec({"process": {"name": "curl", "exe": "/usr/bin/curl", "args": ["https://example.com"], "argv0": "curl", "cmdline": "curl https://example.com"}})
	count(program_run_with_disallowed_http_proxy_env.alerts) == 0 with input as doc
}

test_no_alert_other_program if {
	doc := testing.exec({"process": {"name": "git", "exe": "/usr/bin/git", "args": [], "argv0": "git", "cmdline": "git", "env": ["HTTP_PROXY=http://203.0.113.9:3128"]}})
	count(program_run_with_disallowed_http_proxy_env.alerts) == 0 with input as doc
}
