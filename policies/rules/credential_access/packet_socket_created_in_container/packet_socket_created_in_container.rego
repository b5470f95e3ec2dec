# METADATA
# title: "Packet socket created in container"
# description: >-
#   A packet socket (AF_PACKET, OSI layer 2) was created inside a container: used for ARP
#   spoofing and some privilege escalations (CVE-2020-14386).
# custom:
#   id: packet_socket_created_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "network", "mitre_credential_access", "T1557.002"]
#   syscalls: [socket]
package bpfopa.rules.packet_socket_created_in_container

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "socket"
	_packet_family(input.event.params)
	macros.container(input)
	msg := "Packet socket was created in a container"
	alert := result.alert(rego.metadata.chain(), input, msg)
}

# AF_PACKET is 17 on Linux; the decoder may also name it.
_packet_family(params) if params.family_name == "AF_PACKET"

_packet_family(params) if params.domain_name == "AF_PACKET"

_packet_family(params) if params.family == 17

_packet_family(params) if params.domain == 17
