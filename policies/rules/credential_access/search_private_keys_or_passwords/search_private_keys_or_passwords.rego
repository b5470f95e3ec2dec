# METADATA
# title: "Search Private Keys or Passwords"
# description: >-
#   grep searching for private key headers, or find searching for ssh private key files.
# custom:
#   id: search_private_keys_or_passwords
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "process", "filesystem", "mitre_credential_access", "T1552.001"]
#   syscalls: [execve, execveat]
package bpfopa.rules.search_private_keys_or_passwords

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	_searches_secrets(input)
	msg := sprintf("Grep private keys or passwords activities found (args=%s)", [macros.args_string(input)])
	alert := result.alert(rego.metadata.chain(), input, msg)
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
