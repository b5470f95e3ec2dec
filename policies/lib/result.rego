# METADATA
# title: Alert construction
# description: >-
#   The one place that turns a rule's package METADATA into an alert, so every rule reports
#   the same fields: rule (title), id, priority, tags and a one-line output.
package bpfopa.lib.result

# The annotations of the rule package in a rego.metadata.chain() result.
rule_annotations(chain) := ann if {
	some entry in chain
	ann := entry.annotations
	ann.custom.id
}

# The syscall names a rule declares in its METADATA custom.syscalls.
syscalls(chain) := {name | some name in rule_annotations(chain).custom.syscalls}

# The fields every alert of a rule shares, from its package METADATA. Rules keep this in a
# rule of their own (`_metadata`) that does not depend on the document, so OPA computes it
# once per query.
metadata(chain) := {
	"rule": ann.title,
	"id": ann.custom.id,
	"priority": ann.custom.priority,
	"tags": ann.custom.tags,
} if {
	ann := rule_annotations(chain)
}

# One alert: the rule's metadata plus a one-line output.
alert(metadata, doc, message) := object.union(metadata, {"output": one_line(concat(" ", [message, context(doc)]))})

# Event data is attacker-controlled: control characters must not split the line.
one_line(text) := regex.replace(text, `[\x00-\x1f\x7f]`, " ")

_field(value) := value if is_string(value)

else := sprintf("%v", [value]) if value != null

else := "<NA>"

context(doc) := sprintf(
	"(evt_type=%s user=%s user_uid=%s user_loginuid=%s process=%s proc_exepath=%s parent=%s command=%s terminal=%s container_id=%s)",
	[
		_field(object.get(doc, ["event", "name"], null)),
		_field(object.get(doc, ["process", "user"], null)),
		_field(object.get(doc, ["process", "uid"], null)),
		_field(object.get(doc, ["process", "loginuid"], null)),
		_field(object.get(doc, ["process", "name"], null)),
		_field(object.get(doc, ["process", "exe"], null)),
		_field(object.get(doc, ["process", "parent", "name"], null)),
		_field(object.get(doc, ["process", "cmdline"], null)),
		_field(object.get(doc, ["process", "tty"], null)),
		_field(object.get(doc, ["process", "container", "id"], "host")),
	],
)
