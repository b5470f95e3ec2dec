# METADATA
# title: "Create Hardlink Over Sensitive Files"
# description: >-
#   A hard link was created to a sensitive file such as /etc/shadow.
# custom:
#   id: create_hardlink_over_sensitive_files
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [link, linkat]
package bpfopa.rules.create_hardlink_over_sensitive_files

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
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
	doc.event.name in {"link", "linkat"}
	target := _old_path(doc)
	target in lists.sensitive_file_names
	msg := sprintf("Hardlinks created over sensitive files (target=%s linkpath=%s)", [target, object.get(doc.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_old_path(doc) := path if path := doc.event.paths.oldname

else := doc.event.params.oldname
