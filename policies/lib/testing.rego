# METADATA
# title: Test documents
# description: >-
#   Complete, harmless event documents (docs/event-schema.md) for rule tests. A test passes
#   only the fields that matter to it; object.union merges them over the base document.
package bpfopa.lib.testing

base_process := {
	"pid": 4242, "ppid": 4200, "tid": 4242,
	"name": "ls", "exe": "/usr/bin/ls", "args": [], "argv0": "ls", "cmdline": "ls",
	"args_truncated": false, "env": ["HOME=/home/alice", "PATH=/usr/bin:/bin"], "cwd": "/home/alice",
	"uid": 1000, "gid": 1000, "euid": 1000, "loginuid": 1000, "user": "alice", "tty": 34816,
	"start_time": "2026-11-28T09:00:00Z", "cap_effective": [],
	"cgroup": ["0::/user.slice/user-1000.slice/session-1.scope"], "container": null,
	"parent": {
		"pid": 4200, "ppid": 4100, "tid": 4200, "name": "bash", "exe": "/usr/bin/bash",
		"args": [], "argv0": "bash", "cmdline": "bash", "cwd": "/home/alice", "uid": 1000,
		"gid": 1000, "euid": 1000, "loginuid": 1000, "user": "alice", "tty": 34816,
		"start_time": "2026-11-28T08:00:00Z", "container": null,
	},
	"ancestors": [
		{"pid": 4100, "name": "tmux", "exe": "/usr/bin/tmux", "cmdline": "tmux"},
		{"pid": 1, "name": "systemd", "exe": "/usr/lib/systemd/systemd", "cmdline": "/sbin/init"},
	],
}

base_event := {
	"nr": 0, "ts": 123456789012, "time": "2026-11-28T09:30:00.123456789Z", "tid": 4242,
	"ret": 0, "error": null, "params": {}, "flags": [], "truncated": [],
}

# Any syscall by name.
syscall(name, overrides) := object.union(
	{"event": object.union(base_event, {"name": name}), "process": base_process},
	overrides,
)

# A successful execve of the base process.
exec(overrides) := syscall("execve", object.union(
	{"event": {"params": {"filename": "/usr/bin/ls"}, "path": "/usr/bin/ls", "paths": {"filename": "/usr/bin/ls"}}},
	overrides,
))

# openat(AT_FDCWD, path, flags) that succeeded with fd 3.
open(path, flags, overrides) := syscall("openat", object.union(
	{"event": {
		"ret": 3,
		"params": {"dfd": -100, "filename": path, "flags": flags, "mode": 0},
		"path": path, "paths": {"filename": path},
	}},
	overrides,
))

# connect(3, {AF_INET, address, port}) that succeeded; the fd is named after its peer.
connect(address, port, overrides) := syscall("connect", object.union(
	{"event": {
		"params": {"fd": 3, "uservaddr": {"family": "AF_INET", "address": address, "port": port}, "addrlen": 16},
		"fd": {"num": 3, "type": "ipv4", "name": sprintf("%s:%d", [address, port])},
	}},
	overrides,
))

in_container := {"process": {"container": {"id": "41e5c07cc310", "full_id": "41e5c07cc310aaaa", "runtime": "docker"}}}
