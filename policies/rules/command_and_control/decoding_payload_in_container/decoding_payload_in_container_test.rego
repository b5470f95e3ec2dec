package bpfopa.rules.decoding_payload_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.decoding_payload_in_container

_run(cmdline, container) := testing.exec(object.union(container, {"process": {
	"name": "base64", "exe": "/usr/bin/base64", "args": ["-d"], "argv0": "base64", "cmdline": cmdline,
}}))

test_alerts_base64_d if {
	found := decoding_payload_in_container.alerts with input as _run("base64 -d", testing.in_container)
	count(found) == 1
	some alert in found
	alert.rule == "Decoding Payload in Container"
	alert.id == "decoding_payload_in_container"
}

test_alerts_shell_pipeline if {
	found := decoding_payload_in_container.alerts with input as object.union(_run("sh -c echo aWQ= | base64 --decode | sh", testing.in_container), {"process": {"name": "sh"}})
	count(found) == 1
	some alert in found
	alert.rule == "Decoding Payload in Container"
	alert.id == "decoding_payload_in_container"
}

test_no_alert_encoding if {
	count(decoding_payload_in_container.alerts) == 0 with input as _run("base64 /etc/hostname", testing.in_container)
}

test_no_alert_on_host if {
	count(decoding_payload_in_container.alerts) == 0 with input as _run("base64 -d", {})
}
