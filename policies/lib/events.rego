# METADATA
# title: The batch, indexed by syscall
# description: >-
#   input.events ({"events": [doc, ...]}) grouped by syscall name, so that each rule visits
#   only the documents of the syscalls it declares in its METADATA; open, exec and connect
#   documents that no rule can flag are left out once per batch by one shared prefilter per group of
#   rules. The one package of lib/ that reads `input`; the rules' helpers and macros take a
#   document argument.
package bpfopa.lib.events

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros

# The syscall names present in the batch.
_names := {doc.event.name | some doc in input.events}

# syscall name -> positions in input.events of that syscall's documents that some rule may
# flag, in order. Computed once per query, for the names present in the batch.
#
# Opens (~55% of a host's events, 16 rules), execs (~20%, 20 rules) and connects (7 rules)
# pass a shared prefilter first: tests that every alert of those rules implies, so an ordinary document
# (a library load, `ls`) costs one visit per test instead of one per rule. Each rule's own
# tests go through this index, and events_test.rego checks that every entry of the lists
# the rules match passes it.
by_syscall := {name: _prefiltered(name, all) | some name, all in _by_name}

# Grouped by name in one pass (OPA indexes this comprehension on `name`).
_by_name[name] := [i | some i, doc in input.events; doc.event.name == name] if some name in _names

# Each prefilter is a union of sets, one per test, each a plain loop over the positions with
# the test inline: a function with one body per test cost ~1.5-4 µs per body and document
# (OPA evaluates every body when the call fails, as it does for most documents).
_prefiltered(name, all) := sort(_open_candidates(all)) if {
	name in open_syscalls
} else := sort(_exec_candidates([i | some i in all; input.events[i].event.ret >= 0])) if {
	name in exec_syscalls
} else := sort(_connect_candidates(all)) if {
	name in connect_syscalls
} else := all

# The constants of the prefilter below are public: the pipeline's client-side copy of it
# (bpfopa/policy/_prefilter.py) reads them from OPA's data API and mirrors only the shape of
# the tests (which field, which combination); tests/opa/test_prefilter.py keeps the two equal.
open_syscalls := {"open", "openat", "openat2"}

exec_syscalls := {"execve", "execveat"}

connect_syscalls := {"connect"}

# --- opens ---------------------------------------------------------------------------------

# The paths of opens some rule may flag, as literals: a path is a candidate when it starts with
# one of `prefixes`, ends in a component named in `basenames`, contains one of `substrings` or
# ends with one of `suffixes`. by_syscall tests the regexes built from them below; the kernel
# filter (policies/kernel_filter.rego) hands the same literals to the probes, which drop an open
# that passes none of them before it reaches userspace.
#
# Whatever the open mode:
open_any_mode := {
	"prefixes": union({
		lists.sensitive_file_names, _below(lists.sensitive_directories), # read_sensitive_file_*
		lists.shell_config_files, _below(lists.shell_config_directories), # *_shell_configuration_file
		{"/dev/"}, # create_files_below_dev (O_CREAT, any mode), privileged_container_device_access
		lists.host_mount_prefixes, # container_access_to_host_sensitive_paths
	}),
	"basenames": union({
		lists.shell_config_filenames, # *_shell_configuration_file
		{"environ"}, # read_environment_variable_from_proc_files (/proc/*/environ)
	}),
	"substrings": union({
		{
			"/.", # read_ssh_information, create_hidden_files_or_directories, dot files,
			# adding_ssh_keys_to_authorized_keys (/.ssh/)
			"history", # delete_or_rename_shell_history
			"../", # directory_traversal_monitored_file_read
		},
		lists.backdoored_liblzma_versions, # backdoored_library_loaded_into_sshd_cve_2024_3094
	}),
	"suffixes": set(),
}

# Only when opened for writing (macros.open_write's access modes):
open_written := {
	"prefixes": union({
		_below(lists.bin_dirs), # write_below_binary_dir
		_below(lists.monitored_directories), # write_below_monitored_dir
		_below(lists.log_directories), # clear_log_activities
		_below(lists.repository_directories), # update_package_repository
		{"/var/lib/rpm"}, # write_below_rpm_database
		{"/etc/"}, # write_below_etc, schedule_cron_jobs
		{"/root/"}, # write_below_root
		{"/proc/self/exe", "/proc/self/fd/"}, # modify_container_entrypoint
	}),
	"basenames": lists.log_files, # clear_log_activities
	"substrings": set(),
	"suffixes": {"release_agent"}, # detect_release_agent_file_container_escapes
}

# The access modes (flags & 3) that macros.open_write counts as writing.
open_write_access_modes := {1, 2}

_below(dirs) := {concat("", [dir, "/"]) | some dir in dirs}

open_any_mode_paths := _path_regex(open_any_mode)

open_written_paths := _path_regex(open_written)

# One RE2 alternation for a set of literals as described above (empty parts left out).
_path_regex(literals) := concat("|", [part |
	some [kind, template] in [
		["prefixes", "^(%s)"], ["basenames", "(^|/)(%s)$"],
		["substrings", "(%s)"], ["suffixes", "(%s)$"],
	]
	count(literals[kind]) > 0
	part := sprintf(template, [concat("|", sort([_quote(s) | some s in literals[kind]]))])
])

# The literal with RE2's metacharacters escaped.
_quote(literal) := regex.replace(literal, `[\\.+*?()|\[\]{}^$]`, `\$0`)

_open_candidates(all) := union({
	{i | some i in all; regex.match(open_any_mode_paths, input.events[i].event.path)},
	# the path before the mode: most opens fail it, and bits.and (big-number arithmetic)
	# costs more than the regex
	{i | some i in all; regex.match(open_written_paths, input.events[i].event.path); _write_mode(input.events[i].event.params)},
	# directory_traversal_monitored_file_read: "../" in macros.raw_path, the path as the
	# program passed it (params.filename, else params.pathname, else event.path, which
	# open_any_mode_paths covers).
	{i | some i in all; contains(input.events[i].event.params.filename, raw_path_traversal)},
	{i | some i in all; contains(input.events[i].event.params.pathname, raw_path_traversal)},
	# container_drift_detected_open_create: an open in a container whose mode (openat2:
	# how.mode) gives some execute bit (S_IXUSR|S_IXGRP|S_IXOTH).
	{i | some i in all; is_object(input.events[i].process.container); bits.and(input.events[i].event.params.mode, open_exec_mode_bits) != 0},
	{i | some i in all; is_object(input.events[i].process.container); bits.and(input.events[i].event.params.how.mode, open_exec_mode_bits) != 0},
	# exfiltrating_artifacts_via_kubernetes_control_plane (tar)
	{i | some i in all; input.events[i].process.name in open_process_names},
})

open_process_names := {"tar"}

# The rules whose opens no path literal describes (the two tests above: a creation mode, a
# process name). The kernel filter keeps only opens that pass the literals, so while one of
# these rules is on it does not filter opens at all (kernel_filter.rego); both are off by
# default.
open_unfiltered_rules := {
	"container_drift_detected_open_create",
	"exfiltrating_artifacts_via_kubernetes_control_plane",
}

open_exec_mode_bits := 73

raw_path_traversal := "../"

# The access mode part of macros.open_write (O_WRONLY or O_RDWR), from open's and openat's
# flags or openat2's how.flags.
_write_mode(params) if bits.and(params.flags, 3) in {1, 2}

_write_mode(params) if bits.and(params.how.flags, 3) in {1, 2}

# --- execs ---------------------------------------------------------------------------------

# The process names some exec rule starts from.
exec_process_names := union({
	lists.grep_binaries, {"find"}, # find_aws_credentials, search_private_keys_or_passwords
	lists.network_tool_binaries, {"nc", "ncat", "socat"}, # network tools, netcat rules
	lists.http_proxy_binaries, # program_run_with_disallowed_http_proxy_env
	lists.shell_binaries, # run_shell_untrusted, terminal_shell_in_container, execution_from_dev_shm
	{"crontab"}, # schedule_cron_jobs
	lists.remote_file_copy_binaries, # launch_remote_file_copy_tools_in_container
	lists.data_remove_commands, # remove_bulk_data_from_disk
	lists.package_mgmt_binaries, # launch_package_management_process_in_container
	lists.user_mgmt_binaries, # user_mgmt_binaries
	{"debugfs"}, # debugfs_launched_in_privileged_container
	lists.k8s_client_binaries, # kubernetes_client_tool_launched_in_container
	lists.ingress_remote_file_copy_binaries, {"curl"}, # launch_ingress_remote_file_copy_tools_in_container
	{"mount"}, # mount_launched_in_privileged_container
	{"pkexec"}, # polkit_local_privilege_escalation_vulnerability_cve_2021_4034
	{"sudo", "sudoedit"}, # sudo_potential_privilege_escalation
	lists.miner_binaries, # known_cryptominer_process_executed
})

# The parent or ancestor process names some exec rule starts from (the rules test the parent
# or the first ancestors; any ancestor passes here).
exec_ancestor_names := union({
	lists.db_server_binaries, # db_program_spawned_process
	lists.web_server_binaries, # web_server_spawned_*, reverse_shell_from_web_server
	lists.node_package_managers, # network_tool_executed_during_npm_package_install
})

# `spawned`: the successful execs (every exec rule needs macros.spawned_process).
_exec_candidates(spawned) := union({
	{i | some i in spawned; input.events[i].process.name in exec_process_names},
	# system_user_interactive
	{i | some i in spawned; input.events[i].process.user in lists.system_users},
	# fileless_execution_via_memfd_create, execution_from_dev_shm
	{i | some i in spawned; regex.match(exec_exe_paths, input.events[i].process.exe)},
	# execution_from_dev_shm
	{i | some i in spawned; startswith(input.events[i].process.cwd, exec_cwd_prefix)},
	# detect_crypto_miners_using_the_stratum_protocol, decoding_payload_in_container
	{i | some i in spawned; some marker in exec_cmdline_markers; contains(input.events[i].process.cmdline, marker)},
	# drop_and_execute_new_binary_in_container
	{i | some i in spawned; input.events[i].process.exe_upper_layer == true},
	# db_program_spawned_process, web_server_spawned_*, reverse_shell_from_web_server, ...
	{i | some i in spawned; input.events[i].process.parent.name in exec_ancestor_names},
	{i | some i in spawned; some ancestor in input.events[i].process.ancestors; ancestor.name in exec_ancestor_names},
	# potential_local_privilege_escalation_via_environment_variables_misuse (Falco's
	# proc.env icontains GLIBC_TUNABLES)
	{i | some i in spawned; some entry in input.events[i].process.env; contains(upper(entry), exec_env_marker)},
	# launch_privileged_container, launch_sensitive_mount_container, container_run_as_root_user,
	# launch_excessively_capable_container, launch_disallowed_container (macros.container_started)
	{i | some i in spawned; input.events[i].process.vpid == exec_container_init_vpid},
})

exec_exe_paths := `^/(memfd:|dev/shm/)`

exec_cwd_prefix := "/dev/shm"

exec_cmdline_markers := {"stratum", "base64"}

exec_env_marker := "GLIBC_TUNABLES"

exec_container_init_vpid := 1

# --- connects ------------------------------------------------------------------------------

# Each connect rule's alerts imply one of these tests on the document (the rule in comments).
# Most connects (15% of benchmarks/policy_input.py's mix, 7 rules) are made by ordinary
# programs on the host over TCP to an unnamed peer and pass none of them.
_connect_candidates(all) := union({
	# interpreted_procs_outbound_network_activity, system_procs_network_activity
	{i | some i in all; input.events[i].process.name in connect_process_names},
	# unexpected_udp_traffic (macros.l4proto)
	{i | some i in all; input.events[i].event.fd.proto == connect_udp_proto},
	# contact_ec2_instance_metadata_service_from_container, contact_k8s_api_server_from_container,
	# unexpected_k8s_nodeport_connection (macros.container)
	{i | some i in all; is_object(input.events[i].process.container)},
	# detect_outbound_connections_to_common_miner_pool_ports (a sockaddr with a peer name)
	{i | some i in all; some key in connect_sockaddr_params; is_string(input.events[i].event.params[key].name)},
	# disallowed_ssh_connection_non_standard_port
	{i | some i in all; endswith(input.events[i].process.exe, connect_exe_suffix)},
})

connect_process_names := union({
	lists.interpreted_binaries,
	lists.coreutils_binaries, lists.user_mgmt_binaries, lists.shell_binaries, # system_procs_network_activity
})

connect_udp_proto := "udp"

connect_sockaddr_params := macros.sockaddr_params

connect_exe_suffix := "ssh"
