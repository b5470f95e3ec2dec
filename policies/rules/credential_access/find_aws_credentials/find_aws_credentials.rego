# METADATA
# title: "Find AWS Credentials"
# description: >-
#   grep searching for AWS credential names, or find looking for .aws/credentials.
# custom:
#   id: find_aws_credentials
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "process", "aws", "mitre_credential_access", "T1552"]
#   syscalls: [execve, execveat]
package bpfopa.rules.find_aws_credentials

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	_aws_search(input)
	msg := sprintf("Detected AWS credentials search activity (args=%s cwd=%s)", [macros.args_string(input), object.get(input.process, "cwd", "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
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
