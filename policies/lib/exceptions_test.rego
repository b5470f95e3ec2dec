package bpfopa.lib.exceptions_test

import data.bpfopa.lib.exceptions
import data.bpfopa.lib.testing
import data.bpfopa.main

# Pod metadata as the container stage fills it (docs/event-schema.md, "Containers").
_pod(namespace, labels) := {"process": {"container": {
	"id": "41e5c07cc310", "full_id": "41e5c07cc310aaaa", "runtime": "docker", "name": "k8s_app_web-0_shop_u1_0",
	"pod": {"name": "web-0", "namespace": namespace, "uid": "u1", "labels": labels, "ip": null},
}}}

# Falco's "Launch Suspicious Network Tool in Container", from a pod.
_nmap_in(namespace, labels) := testing.exec(object.union(_pod(namespace, labels), {"process": {
	"name": "nmap", "exe": "/usr/bin/nmap", "cmdline": "nmap -sT 198.51.100.1",
}}))

_ids(doc, exc) := ids if {
	ids := {a.id | some a in main.alerts} with input as {"events": [doc]} with data.bpfopa.exceptions as exc
}

_tool := "launch_suspicious_network_tool_in_container"

test_field_path_splits_at_dots if {
	exceptions.field_path("process.container.pod.namespace") == ["process", "container", "pod", "namespace"]
}

test_field_path_keeps_a_bracketed_key_whole if {
	exceptions.field_path("process.container.pod.labels[app.kubernetes.io/name]") == [
		"process", "container", "pod", "labels", "app.kubernetes.io/name",
	]
}

test_field_path_without_opening_bracket_is_undefined if {
	not exceptions.field_path("labels]")
}

test_pod_alert_without_exception if {
	_ids(_nmap_in("shop", {"app": "web"}), {}) == {_tool}
}

test_namespace_exception if {
	exc := {"rules": {_tool: [{"process.container.pod.namespace": ["kube-system", "monitoring"]}]}}
	_ids(_nmap_in("kube-system", {"app": "web"}), exc) == set()
	_ids(_nmap_in("shop", {"app": "web"}), exc) == {_tool}
}

test_label_exception_with_dotted_label_name if {
	exc := {"global": [{"process.container.pod.labels[app.kubernetes.io/part-of]": ["scanner*"]}]}
	_ids(_nmap_in("shop", {"app.kubernetes.io/part-of": "scanner-suite"}), exc) == set()
	_ids(_nmap_in("shop", {"app.kubernetes.io/part-of": "shop"}), exc) == {_tool}
	_ids(_nmap_in("shop", {}), exc) == {_tool}
}

test_label_and_namespace_together if {
	exc := {"global": [{"process.container.pod.namespace": ["shop"], "process.container.pod.labels.app": ["web"]}]}
	_ids(_nmap_in("shop", {"app": "web"}), exc) == set()
	_ids(_nmap_in("shop", {"app": "db"}), exc) == {_tool}
	_ids(_nmap_in("prod", {"app": "web"}), exc) == {_tool}
}

test_host_process_never_matches_a_pod_exception if {
	exc := {"global": [{"process.container.pod.namespace": ["shop"]}]}
	doc := testing.open("/etc/shadow", 0, {"process": {"name": "cat"}})
	_ids(doc, exc) == {"read_sensitive_file_untrusted"}
}
