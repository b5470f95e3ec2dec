# METADATA
# title: "Detect outbound connections to common miner pool ports"
# description: >-
#   A connection to a known crypto-mining pool domain on its usual port. Falco matches the
#   peer's DNS name; the rule reads it from the sockaddr's name field.
# custom:
#   id: detect_outbound_connections_to_common_miner_pool_ports
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_impact", "T1496"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.detect_outbound_connections_to_common_miner_pool_ports

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"connect", "sendto", "sendmsg"}
	peer := macros.remote(input)
	not macros.private_address(peer.address)
	peer.address != "127.0.0.1"
	_miner_pool(peer.name, peer.port)
	msg := sprintf("Outbound connection to IP/Port flagged by https://cryptoioc.ch (ip=%s port=%d name=%s)", [peer.address, peer.port, peer.name])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_miner_pool(name, 443) if name in lists.https_miner_domains

_miner_pool(name, 80) if name in lists.http_miner_domains

_miner_pool(name, port) if {
	port in lists.miner_ports
	name in lists.miner_domains
}
