# METADATA
# title: The batch, indexed by syscall
# description: >-
#   input.events ({"events": [doc, ...]}) grouped by syscall name, so that each rule visits
#   only the documents of the syscalls it declares in its METADATA. The one package of lib/
#   that reads `input`; the rules' helpers and macros take a document argument.
package bpfopa.lib.events

# The syscall names present in the batch.
_names := {doc.event.name | some doc in input.events}

# syscall name -> positions in input.events of that syscall's documents, in order. A partial
# object: OPA evaluates (and caches) only the names the rules ask for, one pass over the
# batch per name that is present; a name no document has is undefined at the cost of one
# set lookup.
by_syscall[name] := [i | some i, doc in input.events; doc.event.name == name] if some name in _names
