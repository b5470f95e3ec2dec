# METADATA
# title: "Detect release_agent File Container Escapes"
# description: >-
#   In a container, a process with CAP_SYS_ADMIN (and root or CAP_DAC_OVERRIDE) opened a
#   cgroup release_agent file for writing: the classic cgroup v1 container escape.
# custom:
#   id: detect_release_agent_file_container_escapes
#   priority: CRITICAL
#   tags: ["maturity_stable", "container", "process", "mitre_privilege_escalation", "T1611"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.detect_release_agent_file_container_escapes

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	endswith(input.event.path, "release_agent")
	macros.open_write(input)
	macros.container(input)
	_root_or_dac_override(input)
	macros.has_capability(input, "CAP_SYS_ADMIN")
	msg := sprintf("Detect an attempt to exploit a container escape using release_agent file (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_root_or_dac_override(doc) if doc.process.uid == 0

_root_or_dac_override(doc) if macros.has_capability(doc, "CAP_DAC_OVERRIDE")
