package bpfopa.rules.detect_outbound_connections_to_common_miner_pool_ports_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.detect_outbound_connections_to_common_miner_pool_ports

test_alerts_stratum_port if {
	doc := testing.connect("203.0.113.50", 4444, {"event": {"params": {"uservaddr": {"name": "pool.minexmr.com"}}}})
	found := detect_outbound_connections_to_common_miner_pool_ports.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Detect outbound connections to common miner pool ports"
	alert.id == "detect_outbound_connections_to_common_miner_pool_ports"
}

test_alerts_https_pool if {
	doc := testing.connect("203.0.113.50", 443, {"event": {"params": {"uservaddr": {"name": "xmr.crypto-pool.fr"}}}})
	found := detect_outbound_connections_to_common_miner_pool_ports.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Detect outbound connections to common miner pool ports"
	alert.id == "detect_outbound_connections_to_common_miner_pool_ports"
}

test_no_alert_unknown_name if {
	doc := testing.connect("203.0.113.50", 4444, {"event": {"params": {"uservaddr": {"name": "example.com"}}}})
	count(detect_outbound_connections_to_common_miner_pool_ports.alerts) == 0 with input as doc
}

test_no_alert_pool_on_other_port if {
	doc := testing.connect("203.0.113.50", 22, {"event": {"params": {"uservaddr": {"name": "pool.minexmr.com"}}}})
	count(detect_outbound_connections_to_common_miner_pool_ports.alerts) == 0 with input as doc
}

test_no_alert_no_name if {
	doc := testing.connect("203.0.113.50", 4444, {})
	count(detect_outbound_connections_to_common_miner_pool_ports.alerts) == 0 with input as doc
}
