package bpfopa.rules.set_setuid_or_setgid_bit_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.set_setuid_or_setgid_bit

test_alerts_chmod_4755 if {
	doc := testing.syscall("fchmodat", {"process": {"name": "chmod", "exe": "/usr/bin/chmod", "args": ["u+s", "/tmp/sh"], "argv0": "chmod", "cmdline": "chmod u+s /tmp/sh"}, "event": {"params": {"dfd": -100, "filename": "/tmp/sh", "mode": 2541}, "path": "/tmp/sh"}})
	found := set_setuid_or_setgid_bit.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Set Setuid or Setgid bit"
	alert.id == "set_setuid_or_setgid_bit"
}

test_alerts_chmod_2755 if {
	doc := testing.syscall("chmod", {"process": {"name": "chmod", "exe": "/usr/bin/chmod", "args": [], "argv0": "chmod", "cmdline": "chmod"}, "event": {"params": {"filename": "/tmp/sh", "mode": 1517}, "path": "/tmp/sh"}})
	found := set_setuid_or_setgid_bit.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Set Setuid or Setgid bit"
	alert.id == "set_setuid_or_setgid_bit"
}

test_no_alert_chmod_755 if {
	doc := testing.syscall("chmod", {"process": {"name": "chmod", "exe": "/usr/bin/chmod", "args": [], "argv0": "chmod", "cmdline": "chmod"}, "event": {"params": {"filename": "/tmp/sh", "mode": 493}, "path": "/tmp/sh"}})
	count(set_setuid_or_setgid_bit.alerts) == 0 with input as doc
}

test_no_alert_kubelet if {
	doc := testing.syscall("chmod", {"process": {"name": "kubelet", "exe": "/usr/bin/kubelet", "args": [], "argv0": "kubelet", "cmdline": "kubelet"}, "event": {"params": {"mode": 2541}}})
	count(set_setuid_or_setgid_bit.alerts) == 0 with input as doc
}
