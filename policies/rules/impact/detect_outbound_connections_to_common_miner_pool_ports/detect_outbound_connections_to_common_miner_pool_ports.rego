# METADATA
# title: "Detect outbound connections to common miner pool ports"
# description: >-
#   A connection to a known crypto-mining pool domain on its usual port. Falco matches the
#   peer's DNS name; the rule reads it from the sockaddr's name field.
# custom:
#   id: detect_outbound_connections_to_common_miner_pool_ports
#   priority: CRITICAL
#   enabled: false
#   tags: ["maturity_sandbox", "host", "container", "network", "mitre_impact", "T1496"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.detect_outbound_connections_to_common_miner_pool_ports

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

# rule, id, priority and tags of every alert of this rule, once per query.
_metadata := result.metadata(rego.metadata.chain())

# custom.enabled of the METADATA (false: off unless data.bpfopa.config.enabled_rules names it).
enabled_by_default := config.enabled_by_default(rego.metadata.chain())

# [index, alert] for each document of the batch input {"events": [doc, ...]} that this rule
# flags. Only the documents of the rule's syscalls are looked at (events.by_syscall).
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	doc.event.name in {"connect", "sendto", "sendmsg"}
	_named_sockaddr(doc.event.params) # implied by peer.name below, and far cheaper than remote
	peer := macros.remote(doc)
	_miner_pool(peer.name, peer.port) # before the CIDR tests: most peers have no name
	peer.address != "127.0.0.1"
	not macros.private_address(peer.address)
	msg := sprintf("Outbound connection to IP/Port flagged by https://cryptoioc.ch (ip=%s port=%d name=%s)", [peer.address, peer.port, peer.name])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_miner_pool(name, 443) if name in lists.https_miner_domains

_miner_pool(name, 80) if name in lists.http_miner_domains

_miner_pool(name, port) if {
	port in lists.miner_ports
	name in lists.miner_domains
}

# Only a sockaddr argument carries the peer's name (macros.remote of an fd name has none).
_named_sockaddr(params) if {
	some key in macros.sockaddr_params
	is_string(params[key].name)
}
