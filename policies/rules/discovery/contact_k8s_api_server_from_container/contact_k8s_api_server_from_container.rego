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

import data.bpfopa.lib.config
import data.bpfopa.lib.events
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
	doc.event.name == "connect"
	macros.container(doc)
	macros.ip_socket(doc)
	peer := macros.remote(doc)
	peer.address == macros.env_value(doc.process.env, "KUBERNETES_SERVICE_HOST")
	peer.port == to_number(_service_port(doc.process.env))
	msg := sprintf("Unexpected connection to K8s API Server from container (connection=%s:%d)", [peer.address, peer.port])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_service_port(env) := port if port := macros.env_value(env, "KUBERNETES_SERVICE_PORT")

else := "443"
