# METADATA
# title: "Find AWS Credentials"
# description: >-
#   grep searching for AWS credential names, or find looking for .aws/credentials.
# custom:
#   id: find_aws_credentials
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "aws", "mitre_credential_access", "T1552"]
#   syscalls: [execve, execveat]
package bpfopa.rules.find_aws_credentials

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
	doc.process.name in _searchers # implied by _aws_search, and cheaper
	macros.spawned_process(doc)
	_aws_search(doc)
	msg := sprintf("Detected AWS credentials search activity (args=%s cwd=%s)", [macros.args_string(doc), object.get(doc.process, "cwd", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_aws_search(doc) if {
	doc.process.name in lists.grep_binaries
	args := lower(macros.args_string(doc))
	some marker in lists.aws_credential_markers
	contains(args, marker)
}

_aws_search(doc) if {
	doc.process.name == "find"
	endswith(macros.args_string(doc), ".aws/credentials")
}

_searchers := lists.grep_binaries | {"find"}
