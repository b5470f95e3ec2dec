package bpfopa.rules.kubernetes_client_tool_launched_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.kubernetes_client_tool_launched_in_container

_tool(name, container) := testing.exec({"process": {
	"name": name, "exe": concat("/", ["/usr/local/bin", name]), "args": ["get", "pods"],
	"argv0": name, "cmdline": concat(" ", [name, "get pods"]), "container": container,
}})

test_alerts_kubectl if {
	found := kubernetes_client_tool_launched_in_container.alerts with input as _tool("kubectl", {"id": "41e5c07cc310", "image": {"repository": "alpine"}})
	count(found) == 1
	some alert in found
	alert.rule == "Kubernetes Client Tool Launched in Container"
	alert.id == "kubernetes_client_tool_launched_in_container"
}

test_alerts_crictl_without_image if {
	found := kubernetes_client_tool_launched_in_container.alerts with input as _tool("crictl", {"id": "41e5c07cc310"})
	count(found) == 1
	some alert in found
	alert.rule == "Kubernetes Client Tool Launched in Container"
	alert.id == "kubernetes_client_tool_launched_in_container"
}

test_no_alert_kubectl_on_host if {
	count(kubernetes_client_tool_launched_in_container.alerts) == 0 with input as _tool("kubectl", null)
}

test_no_alert_known_image if {
	count(kubernetes_client_tool_launched_in_container.alerts) == 0 with input as _tool("kubectl", {"id": "41e5c07cc310", "image": {"repository": "mcr.microsoft.com/aks/hcp/hcp-tunnel-front"}})
}

test_no_alert_known_kube_system_image if {
	count(kubernetes_client_tool_launched_in_container.alerts) == 0 with input as _tool("kubectl", {"id": "41e5c07cc310", "image": {"repository": "registry.k8s.io/fluentd-gcp-scaler"}, "pod": {"namespace": "kube-system"}})
}

test_no_alert_other_tool if {
	count(kubernetes_client_tool_launched_in_container.alerts) == 0 with input as _tool("helm", {"id": "41e5c07cc310"})
}
