# METADATA
# title: "Terminal shell in container"
# description: >-
#   A shell with an attached terminal was used as the entrypoint or exec point into a
#   container, as with `kubectl exec -it` or `docker exec -it`.
# custom:
#   id: terminal_shell_in_container
#   priority: NOTICE
#   tags: ["maturity_stable", "container", "shell", "mitre_execution", "T1059"]
#   syscalls: [execve, execveat]
package bpfopa.rules.terminal_shell_in_container

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	macros.container(input)
	macros.shell_procs(input)
	input.process.tty != 0
	_container_entrypoint(input)
	msg := sprintf("A shell was spawned in a container with an attached terminal (shell=%s)", [input.process.name])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_container_entrypoint(doc) if not is_string(object.get(doc.process, ["parent", "name"], null))

_container_entrypoint(doc) if doc.process.parent.name in lists.container_entrypoint_parents
