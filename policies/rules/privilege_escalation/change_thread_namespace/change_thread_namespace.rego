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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name == "setns"
	macros.proc_name_exists(input)
	not _host_container_manager(input)
	not input.process.name in lists.setns_allowed_procs
	not startswith(input.process.name, "runc")
	not startswith(input.process.cmdline, "containerd")
	not macros.pname(input) in lists.setns_allowed_parents
	not _known_agent(input)
	msg := sprintf("Namespace change (setns) by unexpected program (flags=%v)", [object.get(input.event.params, "flags", "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
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
