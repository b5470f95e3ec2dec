# METADATA
# title: "Change thread namespace"
# description: >-
#   A program that is not a known container runtime or network plugin moved a thread into
#   another namespace with setns.
# custom:
#   id: change_thread_namespace
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "process", "mitre_privilege_escalation", "T1611"]
#   syscalls: [setns]
package bpfopa.rules.change_thread_namespace

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
	doc.event.name == "setns"
	macros.proc_name_exists(doc)
	not _host_container_manager(doc)
	not doc.process.name in lists.setns_allowed_procs
	not startswith(doc.process.name, "runc")
	not startswith(doc.process.cmdline, "containerd")
	not macros.pname(doc) in lists.setns_allowed_parents
	not _known_agent(doc)
	msg := sprintf("Namespace change (setns) by unexpected program (flags=%v)", [object.get(doc.event.params, "flags", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_host_container_manager(doc) if {
	not macros.container(doc)
	doc.process.name in union({lists.docker_binaries, lists.k8s_binaries, lists.lxd_binaries, {"nsenter"}})
}

# java_running_sdjagent, kubelet_running_loopback
_known_agent(doc) if {
	doc.process.name == "java"
	contains(doc.process.cmdline, "sdjagent.jar")
}

_known_agent(doc) if {
	doc.process.parent.name == "kubelet"
	doc.process.name == "loopback"
}
