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
# once per query. `output_fields` are the extra fields (names of data.bpfopa.fields.registry,
# e.g. "container.image.repository" or "proc.env") the rule wants in its alerts besides the
# registry's default ones.
metadata(chain) := {
	"rule": ann.title,
	"id": ann.custom.id,
	"priority": ann.custom.priority,
	"tags": ann.custom.tags,
	"output_fields": output_fields(ann),
} if {
	ann := rule_annotations(chain)
}

default output_fields(_) := []

output_fields(ann) := ann.custom.output_fields if is_array(ann.custom.output_fields)

# One alert: the rule's metadata plus a one-line message. The field values shown after the
# message ("(evt_type=... user=...)") and the alert's output_fields are added by bpfopa from
# the complete document through the same registry (data.bpfopa.fields, policies/fields.json):
# OPA may see only the fields the rules read, and displaying a field must not widen that.
alert(metadata, _, message) := object.union(metadata, {"output": one_line(message)})

# Event data is attacker-controlled: control characters must not split the line.
one_line(text) := regex.replace(text, `[\x00-\x1f\x7f]`, " ")
