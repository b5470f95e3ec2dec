package bpfopa.lib.events_test

import data.bpfopa.lib.events
import data.bpfopa.lib.lists
import data.bpfopa.lib.testing

# The shared prefilter in events.by_syscall drops the opens and execs no rule can flag.
# Every entry of the lists the rules match must pass it, so that extending a list cannot
# silently disable a rule; each rule's own tests also go through it (batch_alerts reads
# events.by_syscall).

# The document, alone in a batch, is handed to its syscall's rules.
_passes(doc) if events.by_syscall[doc.event.name] == [0] with input as {"events": [doc]}

# Every document of `docs`, in one batch, is handed to its syscall's rules: one evaluation of
# the prefilter for the lot (a `with input` per document rebuilds its constants each time).
_all_pass(docs) if {
	by_syscall := events.by_syscall with input as {"events": docs}
	count({i | some indices in by_syscall; some i in indices}) == count(docs)
}

_read(path) := testing.open(path, 0, {})

_write(path) := testing.open(path, 577, {}) # O_WRONLY|O_CREAT|O_TRUNC

_paths_below(dirs) := {concat("/", [dir, "x"]) | some dir in dirs}

test_all_pass_needs_every_document if {
	not _all_pass([_read("/etc/shadow"), _read("/tmp/notes")])
	_all_pass([_read("/etc/shadow"), testing.syscall("close", {})])
}

test_open_paths_any_mode if {
	paths := union({
		lists.sensitive_file_names, _paths_below(lists.sensitive_directories),
		{concat("/", ["/home/alice", name]) | some name in lists.shell_config_filenames},
		lists.shell_config_filenames, lists.shell_config_files,
		_paths_below(lists.shell_config_directories),
		{"/home/alice/.ssh/id_rsa", "/root/.ssh", "/root/.bash_history", "/dev/sdz"},
		{"/proc/1/environ", "/proc/self/environ", "/proc/1/task/1/environ"},
		{"/host/etc/shadow", "/rootfs/root/x", "/hostfs/var/run/docker.sock", "/dev/sda", "/dev/mem"},
		{"/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.1", "/lib/liblzma.so.5.6.0"},
	})
	_all_pass([doc | some path in paths; some doc in [_read(path), _write(path)]])
}

test_open_paths_written if {
	paths := union({
		_paths_below(lists.bin_dirs), _paths_below(lists.monitored_directories),
		_paths_below(lists.repository_directories), _paths_below(lists.log_directories),
		{concat("/", ["/srv/app", name]) | some name in lists.log_files}, lists.log_files,
		{"/home/alice/.ssh/authorized_keys", "/var/lib/rpm/Packages", "/etc/cron.d/job"},
		{"/sys/fs/cgroup/x/release_agent", "/tmp/.hidden", "/etc/crontab"},
		{"/etc/hosts.new", "/etc/ssh/sshd_config", "/root/notes.txt"},
		{"/proc/self/exe", "/proc/self/fd/3"},
	})
	_all_pass([doc |
		some path in paths
		some doc in [
			_write(path),
			testing.open(path, 2, {}), # O_RDWR
			testing.syscall("openat2", {"event": {"path": path, "params": {"how": {"flags": 1}}}}),
		]
	])
}

test_open_traversal_by_raw_path if {
	_passes(testing.open("/etc/hosts", 0, {"event": {"params": {"filename": "../../etc/hosts"}}}))
	_passes(testing.open("/etc/hosts", 0, {"event": {"ret": -2, "params": {"filename": "a/../../etc/hosts"}}}))
}

# An open in a container whose mode gives an execute bit (container drift).
test_open_executable_mode_in_container if {
	every mode in [64, 8, 1, 493] { # S_IXUSR, S_IXGRP, S_IXOTH, 0755
		_passes(testing.open("/tmp/implant", 65, object.union(testing.in_container, {"event": {"params": {"mode": mode}}})))
		_passes(testing.syscall("openat2", object.union(testing.in_container, {"event": {"path": "/tmp/i", "params": {"how": {"flags": 65, "mode": mode}}}})))
	}
	not _passes(testing.open("/tmp/implant", 65, object.union(testing.in_container, {"event": {"params": {"mode": 420}}})))
	not _passes(testing.open("/tmp/implant", 65, {"event": {"params": {"mode": 493}}}))
}

test_open_process_names if {
	every name in events.open_process_names {
		_passes(testing.open("/app/data.db", 0, {"process": {"name": name}}))
	}
}

test_ordinary_opens_are_dropped if {
	every path in ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/status", "/usr/bin/ls"] {
		not _passes(_read(path))
	}
	every path in ["/tmp/work.txt", "/var/lib/app/data.db", "/srv/www/index.html"] {
		not _passes(_write(path))
	}
}

test_exec_process_names if {
	lists_of_names := [
		lists.grep_binaries, lists.network_tool_binaries, lists.http_proxy_binaries,
		lists.shell_binaries, lists.remote_file_copy_binaries, lists.data_remove_commands,
		lists.package_mgmt_binaries, lists.user_mgmt_binaries,
		{"find", "nc", "ncat", "socat", "crontab", "debugfs"},
		lists.k8s_client_binaries, lists.ingress_remote_file_copy_binaries,
		{"curl", "mount", "pkexec", "sudo", "sudoedit"}, lists.miner_binaries,
	]
	_all_pass([testing.exec({"process": {"name": name}}) | some names in lists_of_names; some name in names])
}

test_exec_other_conditions if {
	_all_pass([testing.exec({"process": {"user": user}}) | some user in lists.system_users])
	every process in [
		{"exe": "/memfd:x (deleted)"}, {"exe": "/dev/shm/x"}, {"cwd": "/dev/shm"},
		{"cwd": "/dev/shm/a"}, {"cmdline": "xmrig -o stratum+tcp://pool:3333"},
		{"exe_upper_layer": true}, {"cmdline": "sh -c echo aGk= | base64 -d"},
		{"env": ["HOME=/root", "GLIBC_TUNABLES=glibc.malloc.mxfast=1"]}, {"env": ["glibc_tunables=x"]},
		{"vpid": 1},
	] {
		_passes(testing.exec({"process": process}))
	}
	_all_pass([doc |
		some name in ((lists.db_server_binaries | lists.web_server_binaries) | lists.node_package_managers)
		some doc in [
			testing.exec({"process": {"name": "id", "parent": {"name": name}}}),
			testing.exec({"process": {"name": "id", "ancestors": [{"name": "a"}, {"name": "b"}, {"name": name}]}}),
		]
	])
}

test_exec_near_misses_are_dropped if {
	every process in [
		{"env": ["HOME=/root", "GLIBC=1"]}, {"vpid": 2}, {"parent": {"name": "mysql"}},
		{"cmdline": "base32 -d"},
	] {
		not _passes(testing.exec({"process": process}))
	}
}

test_ordinary_and_failed_execs_are_dropped if {
	not _passes(testing.exec({}))
	not _passes(testing.exec({"process": {"name": "git", "exe": "/usr/bin/git", "cmdline": "git status"}}))
	not _passes(testing.exec({"process": {"name": "bash"}, "event": {"ret": -2, "error": "ENOENT"}}))
}

# The conditions the connect rules' alerts imply (each rule's own alerting tests also pass
# through by_syscall, so a prefilter that dropped them would fail those tests).
test_connect_conditions if {
	names := lists.interpreted_binaries | (lists.coreutils_binaries | (lists.user_mgmt_binaries | lists.shell_binaries))
	_all_pass([testing.connect("93.184.216.34", 443, {"process": {"name": name}}) | some name in names])
	every doc in [
		testing.connect("10.0.0.7", 5353, {"event": {"fd": {"proto": "udp"}}}),
		testing.connect("169.254.169.254", 80, testing.in_container),
		testing.connect("10.0.0.7", 30080, testing.in_container),
		testing.connect("198.51.100.7", 3333, {"event": {"params": {"uservaddr": {"name": "pool.example"}}}}),
		testing.syscall("connect", {"event": {"params": {"addr": {"family": "AF_INET", "address": "198.51.100.7", "port": 3333, "name": "pool.example"}}}}),
		testing.connect("203.0.113.7", 2222, {"process": {"name": "ssh", "exe": "/usr/bin/ssh"}}),
	] {
		_passes(doc)
	}
}

_curl := {"process": {"name": "curl", "exe": "/usr/bin/curl"}}

test_ordinary_connects_are_dropped if {
	every doc in [
		testing.connect("93.184.216.34", 443, _curl),
		testing.connect("10.0.0.7", 5432, object.union(_curl, {"event": {"fd": {"proto": "tcp"}}})),
		testing.connect("10.0.0.7", 5432, {"process": {"name": "sshd-session", "exe": "/usr/sbin/sshd-session"}}),
		testing.connect("10.0.0.7", 5432, object.union(_curl, {"event": {"params": {"uservaddr": {"name": null}}}})),
	] {
		not _passes(doc)
	}
}

test_other_syscalls_always_pass if {
	every name in ["close", "setuid", "rename", "creat", "mkdir", "sendto", "accept"] {
		_passes(testing.syscall(name, {}))
	}
}
