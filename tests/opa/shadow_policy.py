"""The small policy the OPA client, pipeline and replay tests run against.

It keeps the batch contract (data.bpfopa.main.alerts with an index per alert, and
data.bpfopa.main.syscalls):
- "Test shadow" (WARNING) for every document whose path is /etc/shadow, its output naming the
  process and how many times the event repeated (dedup's `repeat`, 1 when absent);
- "Test debug" (DEBUG) for /tmp/debug, for the minimum-priority filter;
- two conflicting definitions of `poison` for a document with path /poison, so OPA answers
  500 eval_conflict_error for any batch containing one (the bad-event isolation tests).
"""

SHADOW_POLICY = """package bpfopa.main

import rego.v1

syscalls contains "openat"

alerts contains alert if {
	some i, ev in input.events
	ev.event.path == "/etc/shadow"
	repeat := object.get(ev, "repeat", 1)
	alert := {
		"index": i, "rule": "Test shadow", "id": "test-shadow", "priority": "WARNING",
		"output": sprintf("shadow read by %s (%d times)", [ev.process.name, repeat]),
		"tags": ["test"],
	}
}

alerts contains alert if {
	some i, ev in input.events
	ev.event.path == "/tmp/debug"
	alert := {
		"index": i, "rule": "Test debug", "id": "test-debug", "priority": "DEBUG",
		"output": "debug", "tags": [],
	}
}

poison := "a" if {
	some ev in input.events
	ev.event.path == "/poison"
}

poison := "b" if {
	some ev in input.events
	ev.event.path == "/poison"
}

alerts contains {
	"index": 0, "rule": "never", "id": "x", "priority": "DEBUG", "output": poison, "tags": [],
} if {
	poison == "zzz"
}
"""
