package bpfopa.rules.detect_crypto_miners_using_the_stratum_protocol_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.detect_crypto_miners_using_the_stratum_protocol

test_alerts_xmrig if {
	doc := testing.exec({"process": {"name": "xmrig", "exe": "/usr/bin/xmrig", "args": ["-o", "stratum+tcp://pool.example:3333"], "argv0": "xmrig", "cmdline": "xmrig -o stratum+tcp://pool.example:3333"}})
	found := detect_crypto_miners_using_the_stratum_protocol.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Detect crypto miners using the Stratum protocol"
	alert.id == "detect_crypto_miners_using_the_stratum_protocol"
}

test_no_alert_xmrig_help if {
	doc := testing.exec({"process": {"name": "xmrig", "exe": "/usr/bin/xmrig", "args": ["--help"], "argv0": "xmrig", "cmdline": "xmrig --help"}})
	count(detect_crypto_miners_using_the_stratum_protocol.alerts) == 0 with input as doc
}
