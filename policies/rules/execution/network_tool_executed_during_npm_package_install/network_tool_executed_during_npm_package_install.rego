# METADATA
# title: "Network Tool Executed During NPM Package Install"
# description: >-
#   A network tool (nc, nmap, socat, ...) started in a container below a node package manager
#   (npm, yarn, pnpm, bun): a malicious install script.
# custom:
#   id: network_tool_executed_during_npm_package_install
#   priority: WARNING
#   tags: ["maturity_sandbox", "container", "network", "process", "mitre_execution", "T1195.002"]
#   syscalls: [execve, execveat]
package bpfopa.rules.network_tool_executed_during_npm_package_install

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
	doc.process.name in lists.network_tool_binaries
	macros.spawned_process(doc)
	macros.container(doc)
	macros.npm_package_install_ancestor(doc)
	msg := "Network tool executed during NPM package installation"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
