# METADATA
# title: User exceptions
# description: >-
#   Matching of the user-extensible exceptions in data.bpfopa.exceptions (see
#   policies/data.json and docs/policies.md). An exception is an object from dotted document
#   field paths to lists of allowed values; it matches a document when every listed field has
#   one of its values. A value ending in "*" matches by prefix. A map key that holds dots
#   (a label such as app.kubernetes.io/name) goes in brackets at the end of the field:
#   process.container.pod.labels[app.kubernetes.io/name].
package bpfopa.lib.exceptions

# The rule `id` is switched off entirely.
disabled(id, exceptions) if id in object.get(exceptions, "disabled_rules", [])

# Some exception for rule `id`, or a global one, matches the document.
excepted(id, doc, exceptions) if {
	some entry in object.get(exceptions, ["rules", id], [])
	matches(doc, entry)
}

excepted(_, doc, exceptions) if {
	some entry in object.get(exceptions, "global", [])
	matches(doc, entry)
}

matches(doc, entry) if {
	count(entry) > 0
	every field, allowed in entry {
		value_allowed(object.get(doc, field_path(field), null), allowed)
	}
}

# The document path of an exception field: "a.b" -> ["a", "b"],
# "a.labels[x.y/z]" -> ["a", "labels", "x.y/z"] (bpfopa/policy/_projection.py mirrors it).
field_path(field) := split(field, ".") if not endswith(field, "]")

field_path(field) := array.concat(split(substring(field, 0, i), "."), [key]) if {
	endswith(field, "]")
	i := indexof(field, "[")
	i > 0
	key := substring(field, i + 1, (count(field) - i) - 2)
}

value_allowed(value, allowed) if value in allowed

value_allowed(value, allowed) if {
	is_string(value)
	some pattern in allowed
	endswith(pattern, "*")
	startswith(value, trim_suffix(pattern, "*"))
}
