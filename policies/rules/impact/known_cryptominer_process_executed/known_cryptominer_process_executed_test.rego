package bpfopa.rules.known_cryptominer_process_executed_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.known_cryptominer_process_executed

_exec(name, cmdline, overrides) := testing.exec(object.union(
	{"process": {
		"name": name, "exe": concat("/", ["/usr/bin", name]), "args": array.slice(split(cmdline, " "), 1, 100),
		"argv0": name, "cmdline": cmdline,
	}},
	overrides,
))

_below(parent) := {"process": {"parent": {"name": parent}}}

test_alerts_xmrig if {
	found := known_cryptominer_process_executed.alerts with input as _exec("xmrig", "xmrig -o pool.example:3333", {})
	count(found) == 1
	some alert in found
	alert.rule == "Known Cryptominer Process Executed"
	alert.id == "known_cryptominer_process_executed"
	contains(alert.output, "process=xmrig exe=/usr/bin/xmrig")
}

test_no_alert_other_program if {
	count(known_cryptominer_process_executed.alerts) == 0 with input as _exec("make", "make -j4", {})
}

test_no_alert_failed_exec if {
	count(known_cryptominer_process_executed.alerts) == 0 with input as _exec("xmrig", "xmrig", {"event": {"ret": -2, "error": "ENOENT"}})
}
