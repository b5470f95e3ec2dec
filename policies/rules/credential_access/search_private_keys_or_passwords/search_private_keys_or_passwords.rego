# METADATA
# title: "Search Private Keys or Passwords"
# description: >-
#   grep searching for private key headers, or find searching for ssh private key files.
# custom:
#   id: search_private_keys_or_passwords
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "process", "filesystem", "mitre_credential_access", "T1552.001"]
#   syscalls: [execve, execveat]
package bpfopa.rules.search_private_keys_or_passwords

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
	doc.process.name in _searchers # implied by _searches_secrets, and cheaper
	macros.spawned_process(doc)
	_searches_secrets(doc)
	msg := sprintf("Grep private keys or passwords activities found (args=%s)", [macros.args_string(doc)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_searches_secrets(doc) if {
	doc.process.name in lists.grep_binaries
	args := lower(macros.args_string(doc))
	some marker in lists.private_key_markers
	contains(args, lower(marker))
}

_searches_secrets(doc) if {
	doc.process.name == "find"
	args := macros.args_string(doc)
	some name in lists.private_key_file_names
	contains(args, name)
}

_searchers := lists.grep_binaries | {"find"}
