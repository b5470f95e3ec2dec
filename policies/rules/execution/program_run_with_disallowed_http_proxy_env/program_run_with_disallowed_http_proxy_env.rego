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
package bpfopa.rules.program_run_with_disallowed_http_proxy_env

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.http_proxy_binaries
	macros.spawned_process(input)
	proxies := [entry | some entry in input.process.env; contains(upper(entry), "HTTP_PROXY")]
	count(proxies) > 0
	msg := sprintf("Program run with disallowed HTTP_PROXY environment variable (env=%s)", [concat(" ", proxies)])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
