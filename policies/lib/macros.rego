# METADATA
# title: Falco's macros
# description: >-
#   Conditions shared by several rules, after the macros in Falco's public rule files, as
#   functions of ONE event document (docs/event-schema.md). Helpers never read `input`:
#   every function takes the document as its argument.
package bpfopa.lib.macros

import data.bpfopa.lib.lists

# Linux open(2) flag values; identical on x86_64 and arm64 for the bits used here.
o_accmode := 3

o_wronly := 1

o_rdwr := 2

o_creat := 64

o_trunc := 512

s_isuid := 2048

s_isgid := 1024

open_syscalls := {"open", "openat", "openat2"}

exec_syscalls := {"execve", "execveat"}

rename_syscalls := {"rename", "renameat", "renameat2"}

remove_syscalls := {"rmdir", "unlink", "unlinkat"}

mkdir_syscalls := {"mkdir", "mkdirat"}

modify_syscalls := rename_syscalls | remove_syscalls

# Where the kernel's tracepoint names a sockaddr argument, by syscall.
sockaddr_params := ["uservaddr", "addr", "upeer_sockaddr", "umyaddr"]

inbound_syscalls := {"accept", "accept4", "listen", "recvfrom", "recvmsg"}

outbound_syscalls := {"connect", "sendto", "sendmsg"}

# --- outcome -------------------------------------------------------------------------

# The syscall completed without error (Falco: evt.rawres >= 0). The capture sets
# event.error exactly when ret is negative, so the sign is enough.
succeeded(doc) if doc.event.ret >= 0

# Network calls count EINPROGRESS (non-blocking connect) as success, as Falco does.
net_succeeded(doc) if doc.event.ret >= 0

net_succeeded(doc) if doc.event.error == "EINPROGRESS"

# --- files ---------------------------------------------------------------------------

open_flags(doc) := flags if {
	flags := doc.event.params.flags
	is_number(flags)
} else := flags if {
	flags := doc.event.params.how.flags
	is_number(flags)
}

flag_set(doc, bit, _) if bits.and(open_flags(doc), bit) != 0

flag_set(doc, _, name) if name in object.get(doc.event, "flags", [])

# Hot path: every file rule starts here, so the checks are inlined rather than layered.
# An fd that names a directory is not a file (Falco: fd.typechar='f').
# Literal sets rather than the named constants above: inside the per-event `with` scope
# every referenced rule is evaluated again, a literal is not.
open_write(doc) if {
	doc.event.ret >= 0
	bits.and(open_flags(doc), 3) in {1, 2}
	doc.event.name in {"open", "openat", "openat2"}
	not "O_DIRECTORY" in object.get(doc.event, "flags", [])
}

open_read(doc) if {
	doc.event.ret >= 0
	bits.and(open_flags(doc), 3) in {0, 2}
	doc.event.name in {"open", "openat", "openat2"}
	not "O_DIRECTORY" in object.get(doc.event, "flags", [])
}

open_directory(doc) if {
	doc.event.ret >= 0
	doc.event.name in open_syscalls
	"O_DIRECTORY" in object.get(doc.event, "flags", [])
}

# Failed opens are interesting when an attacker probes paths (Falco: open_file_failed).
open_file_failed(doc) if {
	doc.event.name in open_syscalls
	doc.event.ret < 0
}

# The path as the program passed it, before the capture made it absolute.
raw_path(doc) := doc.event.params.filename if is_string(doc.event.params.filename)

else := doc.event.params.pathname if is_string(doc.event.params.pathname)

else := doc.event.path

# Falco's fd.directory: the directory that holds a path.
# Everything before the last "/", or "/" when the path has at most one. (indexof_n and
# substring: half the builtin calls of split/array.slice/concat on the hottest helper.)
dirname(path) := substring(path, 0, slashes[count(slashes) - 1]) if {
	slashes := indexof_n(path, "/")
	count(slashes) > 1
} else := "/" if is_string(path)

# Falco's fd.filename.
basename(path) := parts[count(parts) - 1] if parts := split(path, "/")

# Every path argument of the event, absolute where the capture resolved it.
event_paths(doc) := {p | some p in object.get(doc.event, "paths", {}); is_string(p)} | {p | p := doc.event.path; is_string(p)}

# Falco's user_ssh_directory.
user_ssh_directory(path) if regex.match(`^/home/[^/]+/\.ssh/`, path)

# Falco's sensitive_files.
sensitive_file(path) if path in lists.sensitive_file_names

sensitive_file(path) if dirname(path) in lists.sensitive_directories

# One regex test that every file in a binary directory passes: a cheap first test before
# in_bin_dir (lists_test.rego keeps bin_dirs inside it).
maybe_in_bin_dir(path) if regex.match(`^/(usr/)?s?bin/`, path)

# Falco's bin_dir: the file sits directly in a binary directory.
in_bin_dir(path) if dirname(path) in lists.bin_dirs

below_bin_dir(path) if {
	some prefix in lists.bin_dir_prefixes
	startswith(path, prefix)
}

# --- processes -----------------------------------------------------------------------

# Falco's spawned_process: a completed execve/execveat.
spawned_process(doc) if {
	doc.event.name in {"execve", "execveat"}
	succeeded(doc)
}

# Falco's container macro (container.id != host).
container(doc) if is_object(object.get(doc.process, "container", null))

proc_name_exists(doc) if {
	is_string(doc.process.name)
	doc.process.name != ""
}

shell_procs(doc) if doc.process.name in lists.shell_binaries

package_mgmt_procs(doc) if doc.process.name in lists.package_mgmt_binaries

# Falco's proc.pname; "" when the parent is unknown (null), so that negations such as
# `not pname(doc) in list` stay defined: a negated expression over an undefined value is
# undefined in Rego, which would silently disable the rule.
pname(doc) := object.get(doc.process, ["parent", "name"], "")

# Falco's proc.aname[n]: 1 is the parent, 2 the grandparent (ancestors[0]), and so on.
aname(doc, 1) := doc.process.parent.name

aname(doc, n) := doc.process.ancestors[n - 2].name if n >= 2

# Falco's proc.aname without an index: any ancestor, parent included.
ancestor_names(doc) := {a.name | some a in object.get(doc.process, "ancestors", [])} | {p | p := doc.process.parent.name}

package_mgmt_ancestor_procs(doc) if {
	some n in numbers.range(1, 4)
	aname(doc, n) in lists.package_mgmt_binaries
}

# Falco's proc.args: the arguments as one string.
args_string(doc) := concat(" ", object.get(doc.process, "args", []))

exe_running_docker_save(doc) if {
	doc.process.name == "exe"
	some marker in {"/var/lib/docker", "/var/run/docker"}
	contains(doc.process.cmdline, marker)
	doc.process.parent.name in {"dockerd", "docker", "dockerd-current", "docker-current"}
}

python_running_get_pip(doc) if startswith(doc.process.cmdline, "python get-pip.py")

python_running_ms_oms(doc) if startswith(doc.process.cmdline, "python /var/lib/waagent/")

# Falco's interactive: below an ssh session or a login.
interactive(doc) if {
	"sshd" in ancestor_names(doc)
	doc.process.name != "sshd"
}

interactive(doc) if doc.process.name in {"systemd-logind", "login"}

has_capability(doc, cap) if cap in object.get(doc.process, "cap_effective", [])

# Falco's proc.duration in ns: event wall-clock time minus process start time.
proc_duration_ns(doc) := time.parse_rfc3339_ns(doc.event.time) - time.parse_rfc3339_ns(doc.process.start_time)

# --- network -------------------------------------------------------------------------

_ip_families := {"AF_INET", "AF_INET6"}

# The sockaddr argument of the call, where it has one and the decoder read it.
# The first one wins, so no document can make this function conflict (a conflict would
# fail the whole batch).
sockaddr(doc) := found[0] if {
	found := [sa | some key in sockaddr_params; sa := doc.event.params[key]; sa.family in _ip_families]
	count(found) > 0
}

# The peer of a socket call: the sockaddr argument, else what the fd's name says. The
# capture names a connected socket "peer:port"; a "local->peer" name is understood too.
remote(doc) := sa if sa := sockaddr(doc)

else := endpoint(parts[1]) if {
	parts := split(doc.event.fd.name, "->")
	count(parts) == 2
} else := endpoint(doc.event.fd.name) if {
	not contains(doc.event.fd.name, "->")
	doc.event.name != "listen"
}

# The local end: the left of a "local->peer" name, or a listening socket's own name.
local(doc) := endpoint(parts[0]) if {
	parts := split(doc.event.fd.name, "->")
	count(parts) == 2
} else := endpoint(doc.event.fd.name) if doc.event.name == "listen"

# "10.0.0.1:443" or "[::1]:443" -> {"address": ..., "port": <number>}.
endpoint(text) := {"address": m[1], "port": to_number(m[2])} if {
	[m] := regex.find_all_string_submatch_n(`^\[?([^\]]*?)\]?:(\d+)$`, text, 1)
}

# Falco's fd.sport: the server's port; ours when accepting or listening.
server_port(doc) := local(doc).port if doc.event.name in {"accept", "accept4", "listen"}

else := remote(doc).port

ip_socket(doc) if doc.event.fd.type in {"ipv4", "ipv6"}

ip_socket(doc) if remote(doc).family in _ip_families

# Falco's fd.l4proto, where the capture names the socket's protocol; null when unknown.
# Always defined: `not l4proto(doc) == "udp"` must not turn undefined.
l4proto(doc) := object.get(doc.event, ["fd", "proto"], null)

_loopback_or_any(address) if address in {"0.0.0.0", "::", "::1"}

_loopback_or_any(address) if net.cidr_contains("127.0.0.0/8", address)

private_address(address) if {
	some cidr in lists.rfc_1918_networks
	net.cidr_contains(cidr, address)
}

_peer_is_routable(doc) if not _loopback_or_any(remote(doc).address)

_peer_is_routable(doc) if {
	doc.event.name == "listen"
	not _loopback_or_any(local(doc).address)
}

# Falco: a non-TCP socket with an explicit destination. Without fd.proto in the document,
# an explicit sockaddr on sendto/recvfrom is the sign of a datagram socket.
_datagram_call(doc) if {
	not l4proto(doc) == "tcp"
	is_object(sockaddr(doc))
}

# Falco's inbound macro.
inbound(doc) if {
	doc.event.name in {"accept", "accept4", "listen"}
	_inbound_common(doc)
}

inbound(doc) if {
	doc.event.name in {"recvfrom", "recvmsg"}
	_datagram_call(doc)
	_inbound_common(doc)
}

_inbound_common(doc) if {
	ip_socket(doc)
	_peer_is_routable(doc)
	net_succeeded(doc)
}

# Falco's outbound macro: routable, non-RFC1918 peers only.
outbound(doc) if {
	doc.event.name == "connect"
	_outbound_common(doc)
}

outbound(doc) if {
	doc.event.name in {"sendto", "sendmsg"}
	_datagram_call(doc)
	_outbound_common(doc)
}

_outbound_common(doc) if {
	ip_socket(doc)
	_peer_is_routable(doc)
	not private_address(remote(doc).address)
	net_succeeded(doc)
}

# Falco's inbound_outbound: accept/listen/connect, RFC1918 peers included.
inbound_outbound(doc) if {
	doc.event.name in {"accept", "accept4", "listen", "connect"}
	ip_socket(doc)
	_peer_is_routable(doc)
	net_succeeded(doc)
}

# --- shared rule conditions ----------------------------------------------------------------

# The value of `key` in an environment list ("KEY=value"); the first one wins, so a
# duplicated variable cannot make the function conflict.
env_value(env, key) := values[0] if {
	prefix := concat("", [key, "="])
	values := [substring(entry, count(prefix), -1) | some entry in env; startswith(entry, prefix)]
}

# One regex test that every shell config file passes (below /etc, or a dot file): a cheap
# first test for the rules that then call shell_config_file. lists_test.rego keeps the lists
# inside it.
maybe_shell_config_file(path) if regex.match(`^/etc/|(^|/)\.[^/]*$`, path)

# Falco's shell config file lists.
shell_config_file(path) if basename(path) in lists.shell_config_filenames

shell_config_file(path) if path in lists.shell_config_files

shell_config_file(path) if dirname(path) in lists.shell_config_directories

# nc/ncat started with an option that runs a program for the remote side.
netcat_remote_exec(doc) if {
	doc.process.name == "nc"
	some flag in {" -e", " -c"}
	contains(doc.process.cmdline, flag)
}

netcat_remote_exec(doc) if {
	doc.process.name == "ncat"
	args := args_string(doc)
	some flag in {"--sh-exec", "--exec", "-e ", "-c ", "--lua-exec"}
	contains(args, flag)
}

_ptrace_request_names := {
	0: "PTRACE_TRACEME", 4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 13: "PTRACE_SETREGS",
	16: "PTRACE_ATTACH", 16902: "PTRACE_SEIZE",
}

# The ptrace request by name, from the decoded name or the Linux number.
ptrace_request(doc) := doc.event.params.request_name if is_string(doc.event.params.request_name)

else := _ptrace_request_names[doc.event.params.request]

# --- containers (process.container, docs/event-schema.md) ----------------------------------

# Falco's container_started: a completed exec of a container's first process (pid 1 in the
# container's pid namespace, process.vpid).
container_started(doc) if {
	doc.process.vpid == 1
	spawned_process(doc)
	container(doc)
}

# Falco's container.image.repository ("" when unknown, so that a negation stays defined).
image_repository(doc) := repository if {
	repository := doc.process.container.image.repository
	is_string(repository)
} else := ""

# Falco's container.privileged=true.
privileged_container(doc) if doc.process.container.privileged == true

# Falco's falco_privileged_containers (its user_trusted_containers and trusted_images are
# templates: use exceptions on process.container.image.repository).
falco_privileged_containers(doc) if image_repository(doc) in lists.falco_privileged_images

falco_privileged_containers(doc) if image_repository(doc) in lists.redhat_io_images_privileged

falco_privileged_containers(doc) if {
	some prefix in lists.trusted_image_prefixes
	startswith(image_repository(doc), prefix)
}

falco_privileged_containers(doc) if aws_eks_core_image(doc, {".amazonaws.com/amazon-k8s-cni", ".amazonaws.com/eks/kube-proxy"})

falco_privileged_containers(doc) if {
	some root in lists.openshift_registry_roots
	startswith(image_repository(doc), root)
	some suffix in lists.openshift_image_suffixes
	endswith(image_repository(doc), suffix)
}

# Falco's aws_eks_core_images / aws_eks_image_sensitive_mount: an image of the EKS registries
# whose name ends in one of `suffixes`.
aws_eks_core_image(doc, suffixes) if {
	some root in lists.aws_ecr_registry_roots_for_eks
	startswith(image_repository(doc), root)
	some suffix in suffixes
	endswith(image_repository(doc), suffix)
}

# Falco's thread.cap_permitted: process.cap_permitted where the document has it, else the
# effective set (a subset of the permitted one, so a capability found there is permitted).
permitted_capabilities(doc) := caps if {
	caps := doc.process.cap_permitted
	is_array(caps)
} else := object.get(doc.process, "cap_effective", [])

# Falco's sensitive_mount: a mount destination of the container in
# lists.sensitive_mount_destinations, or below a prefix of lists.sensitive_mount_destination_prefixes.
sensitive_mounts(doc) := [mount.destination |
	some mount in object.get(doc.process, ["container", "mounts"], [])
	_sensitive_destination(mount.destination)
]

_sensitive_destination(destination) if destination in lists.sensitive_mount_destinations

_sensitive_destination(destination) if {
	some prefix in lists.sensitive_mount_destination_prefixes
	startswith(destination, prefix)
}

# Falco's k8s.ns.name: the pod's namespace ("" when unknown).
pod_namespace(doc) := namespace if {
	namespace := doc.process.container.pod.namespace
	is_string(namespace)
} else := ""

# proc.aname[n] for alert output: "<NA>" when unknown, so that the output never makes the
# alert undefined.
ancestor_name(doc, n) := name if {
	name := aname(doc, n)
	is_string(name)
} else := "<NA>"

# --- rule conditions of the rules ported second ---------------------------------------------

# Falco's postgres_running_wal_e.
postgres_running_wal_e(doc) if {
	pname(doc) == "postgres"
	some prefix in {"sh -c envdir /etc/wal-e.d/env /usr/local/bin/wal-e", `sh -c envdir "/run/etc/wal-e.d/env" wal-g wal-push`}
	startswith(doc.process.cmdline, prefix)
}

# Falco's mount_info: mount without arguments, or only listing or printing its version/help.
mount_info(doc) if object.get(doc.process, "args", []) == []

mount_info(doc) if {
	some arg in doc.process.args
	arg in lists.mount_info_args
}

# Falco's known_gke/aks/eks_mount_in_privileged_containers.
known_mount_in_privileged_containers(doc) if [pod_namespace(doc), image_repository(doc)] in lists.known_mount_in_privileged_containers

# Falco's ingress_remote_file_copy_procs or curl_download.
ingress_remote_file_copy(doc) if doc.process.name in lists.ingress_remote_file_copy_binaries

ingress_remote_file_copy(doc) if {
	doc.process.name == "curl"
	some option in lists.curl_download_options
	contains(doc.process.cmdline, option)
}

# Falco's user_known_k8s_client_container.
user_known_k8s_client_container(doc) if image_repository(doc) in lists.user_known_k8s_images

user_known_k8s_client_container(doc) if {
	pod_namespace(doc) == "kube-system"
	image_repository(doc) in lists.user_known_k8s_ns_kube_system_images
}

# Falco's base64_decoding.
base64_decoding(doc) if {
	contains(doc.process.cmdline, "base64")
	some option in {"--decode", "-d"}
	contains(doc.process.cmdline, option)
}

# Falco's glibc_tunables_env (proc.env icontains GLIBC_TUNABLES): the matching entries only,
# so that an alert never carries the rest of the environment.
glibc_tunables_entries(doc) := [entry |
	some entry in object.get(doc.process, "env", [])
	contains(upper(entry), "GLIBC_TUNABLES")
]

# Falco's login_doing_dns_lookup.
login_doing_dns_lookup(doc) if {
	doc.process.name == "login"
	l4proto(doc) == "udp"
	server_port(doc) == 53
}

# Falco's runc_writing_exec_fifo and runc_writing_var_lib_docker.
runc_writing_exec_fifo(doc) if {
	doc.process.cmdline == "runc:[1:CHILD] init"
	doc.event.path == "/exec.fifo"
}

runc_writing_var_lib_docker(doc) if {
	doc.process.cmdline == "runc:[1:CHILD] init"
	startswith(raw_path(doc), "/var/lib/docker")
}

# Falco's user_ssh_directory or /root/.ssh.
ssh_directory_path(path) if user_ssh_directory(path)

ssh_directory_path(path) if startswith(path, "/root/.ssh")

# Falco's pmatch: `path` is `dir` or below it.
below_directory(path, dir) if path == dir

below_directory(path, dir) if startswith(path, concat("", [dir, "/"]))

# Falco's write_etc_common exceptions (the exact program and file lists are in the rule).
write_etc_known_activity(doc) if {
	some prefix in lists.write_etc_program_prefixes[doc.process.name]
	startswith(doc.event.path, prefix)
}

write_etc_known_activity(doc) if {
	some n in [2, 3, 4]
	ancestor_name(doc, n) in lists.write_etc_allowed_ancestors
}

write_etc_known_activity(doc) if doc.process.name == "chef-client"

write_etc_known_activity(doc) if {
	ancestor_name(doc, 2) == "nm-dispatcher"
	doc.event.path == "/etc/resolv.conf"
}

write_etc_known_activity(doc) if {
	pname(doc) == "ucf"
	ancestor_name(doc, 2) == "frontend"
}

write_etc_known_activity(doc) if {
	doc.process.name in {"python", "pypy", "python3"}
	contains(doc.process.cmdline, "ansible")
}

write_etc_known_activity(doc) if exe_running_docker_save(doc)

# Falco's Write below root: the program writes its known state below / or /root.
write_root_known_activity(doc) if {
	some prefix in lists.write_root_program_prefixes[doc.process.name]
	startswith(doc.event.path, prefix)
}

write_root_known_activity(doc) if {
	some prefix in lists.known_root_prefixes
	startswith(doc.event.path, prefix)
}

write_root_known_activity(doc) if {
	some prefix in lists.write_root_toolchain_prefixes
	startswith(doc.event.path, prefix)
}

write_root_known_activity(doc) if {
	some dir in lists.known_root_directories
	below_directory(dirname(doc.event.path), dir)
}

write_root_known_activity(doc) if exe_running_docker_save(doc)

# Falco's evt.is_open_exec: a file created (O_CREAT, or creat) with an execute bit
# (S_IXUSR|S_IXGRP|S_IXOTH) in its mode.
open_exec(doc) if {
	doc.event.name == "creat"
	bits.and(create_mode(doc), 73) != 0
}

open_exec(doc) if {
	doc.event.name in {"open", "openat", "openat2"}
	bits.and(open_flags(doc), o_creat) != 0
	bits.and(create_mode(doc), 73) != 0
}

# The mode a file is created with: open/openat/creat's mode, openat2's how.mode.
create_mode(doc) := mode if {
	mode := doc.event.params.mode
	is_number(mode)
} else := mode if {
	mode := doc.event.params.how.mode
	is_number(mode)
}

# Falco's falco_sensitive_mount_containers (user_trusted_containers: exceptions).
falco_sensitive_mount_containers(doc) if image_repository(doc) in lists.falco_sensitive_mount_images

falco_sensitive_mount_containers(doc) if startswith(image_repository(doc), "quay.io/sysdig/")

falco_sensitive_mount_containers(doc) if aws_eks_core_image(doc, {".amazonaws.com/amazon-k8s-cni"})

# Falco's fd.lport and fd.rport for alert output ("<NA>" when unknown).
local_port(doc) := port if {
	port := local(doc).port
	port != null
} else := "<NA>"

remote_port(doc) := port if {
	port := remote(doc).port
	port != null
} else := "<NA>"

# Falco's spawned_by_web_server: the parent, proc.aname[2] or proc.aname[3] is a web server.
spawned_by_web_server(doc) if pname(doc) in lists.web_server_binaries

spawned_by_web_server(doc) if {
	some n in [2, 3]
	ancestor_name(doc, n) in lists.web_server_binaries
}

# Falco's npm_package_install_ancestor: proc.pname or proc.aname[2..5] is a node package manager.
npm_package_install_ancestor(doc) if pname(doc) in lists.node_package_managers

npm_package_install_ancestor(doc) if {
	some n in [2, 3, 4, 5]
	ancestor_name(doc, n) in lists.node_package_managers
}

# Falco's (open_read or open_write): a successful open of a file.
open_read_or_write(doc) if {
	doc.event.ret >= 0
	doc.event.name in {"open", "openat", "openat2"}
	not "O_DIRECTORY" in object.get(doc.event, "flags", [])
}

# Falco's container_entrypoint: no known parent, or a container runtime as the parent.
container_entrypoint(doc) if not is_string(object.get(doc.process, ["parent", "name"], null))

container_entrypoint(doc) if doc.process.parent.name in lists.container_entrypoint_parents
