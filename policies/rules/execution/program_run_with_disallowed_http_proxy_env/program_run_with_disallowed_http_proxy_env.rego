# METADATA
# title: "Program run with disallowed http proxy env"
# description: >-
#   curl or wget was run with an HTTP_PROXY variable (any case) in its environment; allowed
#   proxies go into data.bpfopa.exceptions.
# custom:
#   id: program_run_with_disallowed_http_proxy_env
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "users", "mitre_execution", "T1204"]
#   syscalls: [execve, execveat]
#   output_fields: [proc.env]
package bpfopa.rules.program_run_with_disallowed_http_proxy_env

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
	doc.process.name in lists.http_proxy_binaries
	macros.spawned_process(doc)
	proxies := _proxy_entries(doc.process.env)
	count(proxies) > 0
	msg := sprintf("Program run with disallowed HTTP_PROXY environment variable (env=%s)", [concat(" ", proxies)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# A function, not a comprehension in the rule body: OPA indexes a body comprehension over
# the batch (it evaluated this one for every document, ~100 ms a batch); a function's
# comprehension runs for the one document it is given.
_proxy_entries(env) := [entry | some entry in env; contains(upper(entry), "HTTP_PROXY")]
