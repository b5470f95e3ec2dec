# METADATA
# title: "Contact K8S API Server From Container"
# description: >-
#   A process in a container connected to the Kubernetes API server. Falco recognises the
#   server by its DNS name; the event has no DNS name, so the server is the address and port
#   Kubernetes gives every pod in KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
# custom:
#   id: contact_k8s_api_server_from_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "network", "k8s", "mitre_discovery", "T1565"]
#   syscalls: [connect]
package bpfopa.rules.contact_k8s_api_server_from_container

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "connect"
	macros.ip_socket(input)
	macros.container(input)
	peer := macros.remote(input)
	peer.address == macros.env_value(input.process.env, "KUBERNETES_SERVICE_HOST")
	peer.port == to_number(_service_port(input.process.env))
	msg := sprintf("Unexpected connection to K8s API Server from container (connection=%s:%d)", [peer.address, peer.port])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_service_port(env) := port if port := macros.env_value(env, "KUBERNETES_SERVICE_PORT")

else := "443"
