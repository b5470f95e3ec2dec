# METADATA
# title: "Execution from /dev/shm"
# description: >-
#   A program was executed from /dev/shm, the world-writable memory file system where
#   attackers stash payloads: by path, relative to a /dev/shm working directory, or as a
#   shell script.
# custom:
#   id: execution_from_dev_shm
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "mitre_execution", "T1059.004"]
#   syscalls: [execve, execveat]
package bpfopa.rules.execution_from_dev_shm

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.spawned_process(input)
	_from_dev_shm(input)
	msg := sprintf("File execution detected from /dev/shm (exe=%s cwd=%s)", [input.process.exe, object.get(input.process, "cwd", "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_from_dev_shm(doc) if startswith(doc.process.exe, "/dev/shm/")

_from_dev_shm(doc) if {
	_in_dev_shm(doc.process.cwd)
	startswith(doc.process.argv0, "./")
}

_from_dev_shm(doc) if {
	_in_dev_shm(doc.process.cwd)
	startswith(macros.args_string(doc), "./")
}

_from_dev_shm(doc) if {
	macros.shell_procs(doc)
	args := macros.args_string(doc)
	some prefix in {"-c /dev/shm", "-i /dev/shm", "/dev/shm"}
	startswith(args, prefix)
}

_in_dev_shm(cwd) if cwd == "/dev/shm"

_in_dev_shm(cwd) if startswith(cwd, "/dev/shm/")
