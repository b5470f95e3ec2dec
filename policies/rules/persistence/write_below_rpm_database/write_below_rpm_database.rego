# METADATA
# title: "Write below rpm database"
# description: >-
#   A program that is not part of rpm/yum/dnf opened the rpm database below /var/lib/rpm for
#   writing.
# custom:
#   id: write_below_rpm_database
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "software_mgmt", "mitre_persistence", "T1072"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_rpm_database

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	startswith(input.event.path, "/var/lib/rpm")
	macros.open_write(input)
	not input.process.name in _rpm_procs
	not _known_python(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("rpm database opened for writing by a non-rpm program (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_rpm_procs := union({lists.rpm_binaries, lists.openscap_rpm_binaries, {"salt-call", "salt-minion"}})

# ansible_running_python, python_running_chef, amazon_linux_running_python_yum
_known_python(doc) if {
	doc.process.name in {"python", "pypy", "python3"}
	some marker in {"ansible", "yum-dump.py", "chef-monitor.py", "import yum;"}
	contains(doc.process.cmdline, marker)
}
