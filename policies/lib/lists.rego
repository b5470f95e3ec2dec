# METADATA
# title: Falco's lists
# description: >-
#   Named sets of process names, paths and ports, after the lists in Falco's public rule
#   files. Rules read them as data.bpfopa.lib.lists.<name>; users extend behaviour through
#   data.bpfopa.exceptions instead of editing these sets.
package bpfopa.lib.lists

shell_binaries := {"ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash"}

ssh_binaries := {
	"sshd", "sftp-server", "ssh-agent", "ssh", "scp", "sftp",
	"ssh-keygen", "ssh-keysign", "ssh-keyscan", "ssh-add",
}

login_binaries := {
	"login", "systemd", "(systemd)", "systemd-logind", "su",
	"nologin", "faillog", "lastlog", "newgrp", "sg",
}

passwd_binaries := {
	"shadowconfig", "grpck", "pwunconv", "grpconv", "pwck", "groupmod", "vipw", "pwconv",
	"useradd", "newusers", "cppw", "chpasswd", "usermod", "groupadd", "groupdel", "grpunconv",
	"chgpasswd", "userdel", "chage", "chsh", "gpasswd", "chfn", "expiry", "passwd", "vigr",
	"cpgr", "adduser", "addgroup", "deluser", "delgroup",
}

shadowutils_binaries := {
	"chage", "gpasswd", "lastlog", "newgrp", "sg", "adduser", "deluser", "chpasswd",
	"groupadd", "groupdel", "addgroup", "delgroup", "groupmems", "groupmod", "grpck",
	"grpconv", "grpunconv", "newusers", "pwck", "pwconv", "pwunconv", "useradd", "userdel",
	"usermod", "vigr", "vipw", "unix_chkpwd",
}

# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
user_mgmt_binaries := {"(systemd)", "addgroup", "adduser", "chage", "chfn", "chgpasswd", "chpasswd", "chsh", "cpgr", "cppw", "delgroup", "deluser", "expiry", "faillog", "gpasswd", "groupadd", "groupdel", "groupmems", "groupmod", "grpck", "grpconv", "grpunconv", "lastlog", "login", "newgrp", "newusers", "nologin", "passwd", "pwck", "pwconv", "pwunconv", "sg", "shadowconfig", "su", "systemd", "systemd-logind", "unix_chkpwd", "useradd", "userdel", "usermod", "vigr", "vipw"}

userexec_binaries := {"sudo", "su", "suexec", "critical-stack", "dzdo"}

known_setuid_binaries := {
	"sshd", "dbus-daemon-lau", "ping", "ping6", "critical-stack-", "pmmcli", "filemng",
	"PassengerAgent", "bwrap", "osdetect", "nginxmng", "sw-engine-fpm", "start-stop-daem",
}

http_server_binaries := {"nginx", "httpd", "httpd-foregroun", "lighttpd", "apache", "apache2"}

db_server_binaries := {"mysqld", "postgres", "sqlplus"}

nosql_server_binaries := {"couchdb", "memcached", "redis-server", "rabbitmq-server", "mongod"}

postgres_mgmt_binaries := {"pg_dumpall", "pg_ctl", "pg_lsclusters", "pg_ctlcluster"}

mail_binaries := {
	"sendmail", "sendmail-msp", "postfix", "procmail", "exim4", "pickup", "showq", "mailq",
	"dovecot", "imap-login", "imap", "mailmng-core", "pop3-login", "dovecot-lda", "pop3",
}

mail_config_binaries := {
	"update_conf", "parse_mc", "makemap_hash", "newaliases", "update_mk", "update_tlsm4",
	"update_db", "update_mc", "ssmtp.postinst", "mailq", "postalias", "postfix.config.",
	"postfix.config", "postfix-script", "postconf",
}

docker_binaries := {
	"docker", "dockerd", "containerd-shim", "runc:[1:CHILD]", "pause", "exe", "docker-compose",
	"docker-entrypoi", "docker-runc-cur", "docker-current", "dockerd-current",
}

k8s_binaries := {
	"hyperkube", "skydns", "kube2sky", "exechealthz", "weave-net", "loopback", "bridge",
	"openshift-sdn", "openshift",
}

lxd_binaries := {"lxd", "lxcfs"}

sysdigcloud_binaries := {"setup-backend", "dragent", "sdchecks"}

gitlab_binaries := {"gitlab-shell", "gitlab-mon", "gitlab-runner-b", "git"}

cron_binaries := {"anacron", "cron", "crond", "crontab"}

needrestart_binaries := {"needrestart", "10-dpkg", "20-rpm", "30-pacman"}

interpreted_binaries := {
	"lua", "node", "perl", "perl5", "perl6", "php", "python", "python2", "python3", "ruby",
	"tcl",
}

rpm_binaries := {
	"dnf", "dnf-automatic", "rpm", "rpmkey", "yum", "75-system-updat", "rhsmcertd-worke",
	"rhsmcertd", "subscription-ma", "repoquery", "rpmkeys", "rpmq", "yum-cron",
	"yum-config-mana", "yum-debug-dump", "abrt-action-sav", "rpmdb_stat", "microdnf",
	"rhn_check", "yumdb",
}

openscap_rpm_binaries := {"probe_rpminfo", "probe_rpmverify", "probe_rpmverifyfile", "probe_rpmverifypackage"}

deb_binaries := {
	"dpkg", "dpkg-preconfigu", "dpkg-reconfigur", "dpkg-divert", "apt", "apt-get", "aptitude",
	"frontend", "preinst", "add-apt-reposit", "apt-auto-remova", "apt-key", "apt-listchanges",
	"unattended-upgr", "apt-add-reposit", "apt-cache", "apt.systemd.dai",
}

python_package_managers := {"pip", "pip3", "conda"}

# Process names are cut at 15 bytes by the kernel, hence the truncated entries.
# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
package_mgmt_binaries := {"75-system-updat", "abrt-action-sav", "add-apt-reposit", "alternatives", "apk", "apt", "apt-add-reposit", "apt-auto-remova", "apt-cache", "apt-get", "apt-key", "apt-listchanges", "apt.systemd.dai", "aptitude", "chef-client", "conda", "dnf", "dnf-automatic", "dpkg", "dpkg-divert", "dpkg-preconfigu", "dpkg-reconfigur", "frontend", "gem", "microdnf", "npm", "pip", "pip3", "preinst", "repoquery", "rhn_check", "rhsmcertd", "rhsmcertd-worke", "rpm", "rpmdb_stat", "rpmkey", "rpmkeys", "rpmq", "sane-utils.post", "snapd", "subscription-ma", "unattended-upgr", "update-alternat", "yum", "yum-config-mana", "yum-cron", "yum-debug-dump", "yumdb"}

read_sensitive_file_binaries := {
	"iptables", "ps", "lsb_release", "check-new-relea", "dumpe2fs", "accounts-daemon", "sshd",
	"vsftpd", "systemd", "mysql_install_d", "psql", "screen", "debconf-show", "sa-update",
	"pam-auth-update", "pam-config", "/usr/sbin/spamd", "polkit-agent-he", "lsattr", "file",
	"sosreport", "scxcimservera", "adclient", "rtvscand", "cockpit-session", "userhelper",
	"ossec-syscheckd",
}

hids_binaries := {
	"aide", "aide.wrapper", "update-aide.con", "logcheck", "syslog-summary", "osqueryd",
	"ossec-syscheckd",
}

vpn_binaries := {"openvpn"}

nomachine_binaries := {"nxexec", "nxnode.bin", "nxserver.bin", "nxclient.bin"}

sshkit_script_binaries := {"10_etc_sudoers.", "10_passwd_group"}

dev_creation_binaries := {"blkid", "rename_device", "update_engine", "sgdisk"}

network_tool_binaries := {
	"nc", "ncat", "netcat", "nmap", "dig", "tcpdump", "tshark", "ngrep", "telnet", "mitmproxy",
	"socat", "zmap",
}

remote_file_copy_binaries := {"rsync", "scp", "sftp", "dcp"}

grep_binaries := {"grep", "egrep", "fgrep"}

data_remove_commands := {"shred", "mkfs", "mke2fs"}

http_proxy_binaries := {"curl", "wget"}

# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
protected_shell_spawning_binaries := {"PM2", "apache", "apache2", "consul", "couchdb", "dovecot", "dovecot-lda", "exim4", "flanneld", "fluentd", "httpd", "httpd-foregroun", "imap", "imap-login", "lighttpd", "mailmng-core", "mailq", "memcached", "mongod", "mysqld", "nginx", "pickup", "pop3", "pop3-login", "postfix", "postgres", "procmail", "rabbitmq-server", "redis-server", "runsv", "sendmail", "sendmail-msp", "showq", "smbd", "splunkd", "sqlplus"}

# Parents that may legitimately run shells below a protected spawner.
# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
shell_spawn_allowed_parents := {"10-dpkg", "20-rpm", "30-pacman", "PM2", "PassengerWatchd", "anacron", "ash", "bash", "c_rehash", "calico-node", "cron", "crond", "crontab", "csh", "dash", "erl_child_setup", "erlexec", "exechealthz", "git", "gitlab-mon", "gitlab-runner-b", "gitlab-shell", "hhvm", "ksh", "lb-controller", "logrotate", "mesos-docker-ex", "mesos-health-ch", "mesos-slave", "needrestart", "nvidia-installe", "puma reactor", "runsv", "serf", "sh", "statsite", "svlogd", "tcsh", "zsh"}

# Java servers are recognised by their parent's command line, as in Falco.
protected_java_markers := {
	"org.apache.zookeeper.server", "kafka.Kafka", "org.elasticsearch.bootstrap.Elasticsearch",
	"activemq.jar", "-Dcassandra.config.loader", "org.apache.cassandra.service.CassandraDaemon",
	"org.jboss", "com.sun.enterprise.glassfish", "org.apache.hadoop", "com.datastax",
}

container_entrypoint_parents := {
	"runc:[0:PARENT]", "runc:[1:CHILD]", "runc", "docker-runc", "exe", "docker-runc-cur",
	"containerd-shim", "systemd", "crio", "conmon",
}

system_users := {"bin", "daemon", "games", "lp", "mail", "nobody", "sshd", "sync", "uucp", "www-data"}

sensitive_file_names := {"/etc/shadow", "/etc/sudoers", "/etc/pam.conf", "/etc/security/pwquality.conf"}

sensitive_directory_names := {"/", "/etc", "/etc/", "/root", "/root/"}

sensitive_directories := {"/etc/sudoers.d", "/etc/pam.d"}

bin_dirs := {"/bin", "/sbin", "/usr/bin", "/usr/sbin"}

bin_dir_prefixes := {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"}

monitored_directories := {
	"/boot", "/lib", "/lib64", "/usr/lib", "/usr/local/lib", "/usr/local/sbin",
	"/usr/local/bin", "/root/.ssh",
}

shell_config_filenames := {
	".bashrc", ".bash_profile", ".bash_history", ".bash_login", ".bash_logout", ".inputrc",
	".profile", ".cshrc", ".login", ".logout", ".history", ".tcshrc", ".cshdirs", ".zshenv",
	".zprofile", ".zshrc", ".zlogin", ".zlogout",
}

shell_config_files := {"/etc/profile", "/etc/bashrc", "/etc/csh.cshrc", "/etc/csh.login"}

shell_config_directories := {"/etc/zsh"}

repository_files := {"sources.list"}

repository_directories := {"/etc/apt/sources.list.d", "/etc/yum.repos.d", "/etc/apt"}

log_directories := {"/var/log", "/dev/log"}

log_files := {
	"syslog", "auth.log", "secure", "kern.log", "cron", "user.log", "dpkg.log", "last.log",
	"yum.log", "access_log", "mysql.log", "mysqld.log",
}

allowed_dev_files := {
	"/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/random", "/dev/urandom",
	"/dev/console", "/dev/kmsg",
}

exclude_hidden_directories := {"/root/.cassandra"}

user_known_chmod_applications := {"hyperkube", "kubelet", "k3s-agent"}

user_known_change_thread_namespace_binaries := {"crio", "multus"}

network_plugin_binaries := {"aws-cni", "azure-vnet"}

# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
setns_allowed_procs := {"aws-cni", "azure-vnet", "calico", "cilium-cni", "crio", "dragent", "multus", "oci-umount", "sdchecks", "setup-backend", "sysdig"}

# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
setns_allowed_parents := {"aws", "dockerd", "dragent", "hyperkube", "kubelet", "protokube", "sdchecks", "setup-backend", "tini"}

rfc_1918_networks := {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}

openvpn_udp_ports := {1194, 1197, 1198, 8080, 9201}

l2tp_udp_ports := {500, 1701, 4500, 10000}

# Flattened: a literal is not re-evaluated per event; lib/lists_test.rego checks that it
# equals the union of its parts.
expected_udp_ports := {0, 9, 53, 80, 123, 500, 1194, 1197, 1198, 1701, 3306, 4500, 8080, 8125, 9201, 10000}

miner_ports := {
	25, 3333, 3334, 3335, 3336, 3357, 4444, 5555, 5556, 5588, 5730, 6099, 6666, 7777, 7778,
	8000, 8001, 8008, 8080, 8118, 8333, 8888, 8899, 9332, 9999, 14433, 14444, 45560, 45700,
}

miner_domains := {
	"asia1.ethpool.org", "ca.minexmr.com", "cn.stratum.slushpool.com", "de.minexmr.com",
	"eth-ar.dwarfpool.com", "eth-asia.dwarfpool.com", "eth-asia1.nanopool.org",
	"eth-au.dwarfpool.com", "eth-au1.nanopool.org", "eth-br.dwarfpool.com",
	"eth-cn.dwarfpool.com", "eth-cn2.dwarfpool.com", "eth-eu.dwarfpool.com",
	"eth-eu1.nanopool.org", "eth-eu2.nanopool.org", "eth-hk.dwarfpool.com",
	"eth-jp1.nanopool.org", "eth-ru.dwarfpool.com", "eth-ru2.dwarfpool.com",
	"eth-sg.dwarfpool.com", "eth-us-east1.nanopool.org", "eth-us-west1.nanopool.org",
	"eth-us.dwarfpool.com", "eth-us2.dwarfpool.com", "eu.stratum.slushpool.com",
	"eu1.ethermine.org", "eu1.ethpool.org", "fr.minexmr.com", "mine.moneropool.com",
	"mine.xmrpool.net", "pool.minexmr.com", "pool.monero.hashvault.pro", "pool.supportxmr.com",
	"sg.minexmr.com", "sg.stratum.slushpool.com", "stratum-eth.antpool.com",
	"stratum-ltc.antpool.com", "stratum-zec.antpool.com", "stratum.antpool.com",
	"us-east.stratum.slushpool.com", "us1.ethermine.org", "us1.ethpool.org",
	"us2.ethermine.org", "us2.ethpool.org", "xmr-asia1.nanopool.org", "xmr-au1.nanopool.org",
	"xmr-eu1.nanopool.org", "xmr-eu2.nanopool.org", "xmr-jp1.nanopool.org",
	"xmr-us-east1.nanopool.org", "xmr-us-west1.nanopool.org", "xmr.crypto-pool.fr",
	"xmr.pool.minergate.com", "rx.unmineable.com", "ss.antpool.com", "dash.antpool.com",
	"eth.antpool.com", "zec.antpool.com", "xmc.antpool.com", "btm.antpool.com",
	"stratum-dash.antpool.com", "stratum-xmc.antpool.com", "stratum-btm.antpool.com",
}

https_miner_domains := {
	"ca.minexmr.com", "cn.stratum.slushpool.com", "de.minexmr.com", "fr.minexmr.com",
	"mine.moneropool.com", "mine.xmrpool.net", "pool.minexmr.com", "sg.minexmr.com",
	"stratum-eth.antpool.com", "stratum-ltc.antpool.com", "stratum-zec.antpool.com",
	"stratum.antpool.com", "xmr.crypto-pool.fr", "ss.antpool.com", "stratum-dash.antpool.com",
	"stratum-xmc.antpool.com", "stratum-btm.antpool.com", "btm.antpool.com",
}

http_miner_domains := {
	"ca.minexmr.com", "de.minexmr.com", "fr.minexmr.com", "mine.moneropool.com",
	"mine.xmrpool.net", "pool.minexmr.com", "sg.minexmr.com", "xmr.crypto-pool.fr",
}

stratum_schemes := {"stratum+tcp", "stratum2+tcp", "stratum+ssl", "stratum2+ssl"}

known_shell_spawn_cmdlines := {
	"sh -c uname -p 2> /dev/null", "sh -c uname -s 2>&1", "sh -c uname -r 2>&1",
	"sh -c uname -v 2>&1", "sh -c uname -a 2>&1", "sh -c ruby -v 2>&1", "sh -c getconf CLK_TCK",
	"sh -c getconf PAGESIZE", "sh -c LC_ALL=C LANG=C /sbin/ldconfig -p 2>/dev/null",
	"sh -c LANG=C /sbin/ldconfig -p 2>/dev/null", "sh -c /sbin/ldconfig -p 2>/dev/null",
	"sh -c stty -a 2>/dev/null", "sh -c stty -a < /dev/tty", "sh -c stty -g < /dev/tty",
	"sh -c node index.js", "sh -c node index", "sh -c node ./src/start.js", "sh -c node app.js",
	"sh -c crontab -l 2", "sh -c lsb_release -a", "sh -c lsb_release -is 2>/dev/null",
	"sh -c whoami", "sh -c node_modules/.bin/bower-installer", "sh -c /bin/hostname -f 2> /dev/null",
	"sh -c locale -a", "sh -c  -t -i", "sh -c openssl version", "bash -c id -Gn kafadmin",
	"sh -c /usr/share/lighttpd/create-mime.conf.pl",
}

private_key_markers := {
	"BEGIN PRIVATE", "BEGIN OPENSSH PRIVATE", "BEGIN RSA PRIVATE", "BEGIN DSA PRIVATE",
	"BEGIN EC PRIVATE",
}

private_key_file_names := {"id_rsa", "id_dsa", "id_ed25519", "id_ecdsa"}

aws_credential_markers := {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "accesskeyid",
	"secretaccesskey",
}

ptrace_attach_requests := {"PTRACE_POKETEXT", "PTRACE_POKEDATA", "PTRACE_ATTACH", "PTRACE_SEIZE", "PTRACE_SETREGS"}

# The tcp/udp ports Linux kernels use for Kubernetes NodePort services by default.
nodeport_range := {"min": 30000, "max": 32767}

cloud_metadata_address := "169.254.169.254"

# --- lists of the rules ported second (falco_rules.yaml, incubating and sandbox files) -------

# Falco's coreutils_binaries (system_procs: coreutils or user_mgmt_binaries).
coreutils_binaries := {
	"[", "arch", "base64", "basename", "cat", "chcon", "chgrp", "chmod", "chown", "chroot",
	"cksum", "comm", "cp", "csplit", "cut", "date", "dd", "df", "dir", "dircolors", "dirname",
	"du", "echo", "env", "expand", "expr", "factor", "false", "fmt", "fold", "groups", "head",
	"hostid", "id", "install", "join", "link", "ln", "logname", "ls", "md5sum", "mkdir",
	"mkfifo", "mknod", "mktemp", "mv", "nice", "nl", "nohup", "nproc", "numfmt", "od", "paste",
	"pathchk", "pinky", "pr", "printenv", "printf", "ptx", "pwd", "readlink", "rm", "rmdir",
	"runcon", "seq", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "shred",
	"shuf", "sleep", "sort", "split", "stat", "stdbuf", "stty", "sum", "sync", "tac", "tail",
	"tee", "test", "timeout", "touch", "tr", "true", "truncate", "tsort", "tty", "uname",
	"unexpand", "uniq", "unlink", "users", "vdir", "wc", "who", "whoami", "yes",
}

known_system_procs_network_activity_binaries := {"systemd", "hostid", "id"}

# Falco's k8s_client_binaries.
k8s_client_binaries := {"docker", "kubectl", "crictl"}

ingress_remote_file_copy_binaries := {"wget"}

# Falco's curl_download: curl writing what it fetches to a file.
curl_download_options := {" -o ", " --output ", " -O ", " --remote-name "}

known_binaries_to_read_environment_variables_from_proc_files := {"scsi_id", "argoexec"}

# Falco's user_known_userfaultfd_processes (empty: a template list).
user_known_userfaultfd_processes := set()

# Falco's mount_info: mount only listing or printing its version/help.
mount_info_args := {"-V", "-l", "-h"}

# Falco's falco_privileged_images (falco_containers and sematext_images inlined), trusted_images
# (empty) and redhat_io_images_privileged: images allowed to run privileged.
falco_privileged_images := {
	"falcosecurity/falco", "docker.io/falcosecurity/falco", "public.ecr.aws/falcosecurity/falco",
	"docker.io/calico/node", "calico/node", "docker.io/cloudnativelabs/kube-router",
	"docker.io/docker/ucp-agent", "docker.io/mesosphere/mesos-slave", "docker.io/rook/toolbox",
	"docker.io/sysdig/sysdig", "gcr.io/google_containers/kube-proxy",
	"gcr.io/google-containers/startup-script", "gcr.io/projectcalico-org/node",
	"gke.gcr.io/kube-proxy", "gke.gcr.io/gke-metadata-server", "gke.gcr.io/netd-amd64",
	"gke.gcr.io/watcher-daemonset", "gcr.io/google-containers/prometheus-to-sd",
	"registry.k8s.io/ip-masq-agent-amd64", "registry.k8s.io/kube-proxy",
	"registry.k8s.io/prometheus-to-sd", "quay.io/calico/node", "sysdig/sysdig",
	"docker.io/sematext/sematext-agent-docker", "docker.io/sematext/agent",
	"docker.io/sematext/logagent", "registry.access.redhat.com/sematext/sematext-agent-docker",
	"registry.access.redhat.com/sematext/agent", "registry.access.redhat.com/sematext/logagent",
	"registry.k8s.io/dns/k8s-dns-node-cache", "mcr.microsoft.com/oss/kubernetes/kube-proxy",
}

redhat_io_images_privileged := {
	"registry.redhat.io/openshift-logging/fluentd-rhel8",
	"registry.redhat.io/openshift4/ose-csi-node-driver-registrar",
	"registry.redhat.io/openshift4/ose-kubernetes-nmstate-handler-rhel8",
	"registry.redhat.io/openshift4/ose-local-storage-diskmaker",
}

# Image prefixes Falco's falco_privileged_containers and falco_sensitive_mount_containers trust.
trusted_image_prefixes := {"istio/proxy_", "quay.io/sysdig/"}

# Falco's falco_sensitive_mount_images (falco_containers inlined).
falco_sensitive_mount_images := {
	"falcosecurity/falco", "docker.io/falcosecurity/falco", "public.ecr.aws/falcosecurity/falco",
	"docker.io/sysdig/sysdig", "sysdig/sysdig", "gcr.io/google_containers/hyperkube",
	"gcr.io/google_containers/kube-proxy", "docker.io/calico/node", "docker.io/rook/toolbox",
	"docker.io/cloudnativelabs/kube-router", "docker.io/consul", "docker.io/datadog/docker-dd-agent",
	"docker.io/datadog/agent", "docker.io/docker/ucp-agent", "docker.io/gliderlabs/logspout",
	"docker.io/netdata/netdata", "docker.io/google/cadvisor", "docker.io/prom/node-exporter",
	"amazon/amazon-ecs-agent", "prom/node-exporter", "amazon/cloudwatch-agent",
	"k8scloudprovider/cinder-csi-plugin",
}

# Falco's sensitive_mount: container mount destinations (container.mount.dest[...]); the ones
# Falco writes with a trailing * match by prefix.
sensitive_mount_destinations := {
	"/var/run/docker.sock", "/var/run/crio/crio.sock", "/run/containerd/containerd.sock",
	"/var/lib/kubelet", "/var/lib/kubelet/pki", "/", "/home/admin", "/etc", "/etc/kubernetes",
	"/etc/kubernetes/manifests",
}

sensitive_mount_destination_prefixes := {"/proc", "/root"}

# Falco's excessively_capable_container: thread.cap_permitted contains one of these.
excessive_capabilities := {
	"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_SYS_BOOT",
	"CAP_SYSLOG", "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN", "CAP_BPF",
}

# Falco's Write below root: known_root_files, known_root_directories and the prefixes of
# known_root_conditions.
known_root_files := {
	"/root/.monit.state", "/root/.auth_tokens", "/root/.bash_history", "/root/.ash_history",
	"/root/.aws/credentials", "/root/.viminfo.tmp", "/root/.lesshst", "/root/.bzr.log",
	"/root/.gitconfig.lock", "/root/.babel.json", "/root/.localstack", "/root/.node_repl_history",
	"/root/.mongorc.js", "/root/.dbshell", "/root/.augeas/history", "/root/.rnd",
	"/root/.wget-hsts", "/health", "/exec.fifo",
}

known_root_directories := {"/root/.oracle_jre_usage", "/root/.ssh", "/root/.subversion", "/root/.nami"}

# Not Falco's: Go's default GOPATH (module cache, build output), a toolchain's state below /root
# like the .m2, .npm, .gradle and .cache entries of known_root_prefixes.
write_root_toolchain_prefixes := {"/root/go/"}

known_root_prefixes := {
	"/root/orcexec.", "/root/.m2", "/root/.npm", "/root/.pki", "/root/.ivy2",
	"/root/.config/Cypress", "/root/.config/pulse", "/root/.config/configstore",
	"/root/jenkins/workspace", "/root/.jenkins", "/root/.cache", "/root/.sbt", "/root/.java",
	"/root/.glide", "/root/.sonar", "/root/.v8flag", "/root/infaagent", "/root/.local/lib/python",
	"/root/.pm2", "/root/.gnupg", "/root/.pgpass", "/root/.theano", "/root/.gradle",
	"/root/.android", "/root/.ansible", "/root/.crashlytics", "/root/.dbus", "/root/.composer",
	"/root/.gconf", "/root/.nv", "/root/.local/share/jupyter", "/root/oradiag_root",
	"/root/workspace", "/root/jvm", "/root/.node-gyp",
}

# Falco's write_etc_common: the programs (proc.name) and parents (proc.pname) that may write
# below /etc, the directories (safe_etc_dirs) and files it leaves out.
write_etc_allowed_procs := union({
	passwd_binaries, shadowutils_binaries, sysdigcloud_binaries, package_mgmt_binaries,
	{"ca-certificates"}, {"dhclient", "dhclient-script", "11-dhclient"}, dev_creation_binaries,
	{"add-shell", "remove-shell"}, mail_config_binaries, sshkit_script_binaries,
	nomachine_binaries,
	{
		"ldconfig.real", "ldconfig", "confd", "gpg", "insserv", "apparmor_parser", "update-mime",
		"tzdata.config", "tzdata.postinst", "systemd", "systemd-machine", "systemd-sysuser",
		"debconf-show", "rollerd", "bind9.postinst", "sv", "gen_resolvconf.", "update-ca-certi",
		"certbot", "runsv", "qualys-cloud-ag", "locales.postins", "adclient", "certutil",
		"crlutil", "pam-auth-update", "parallels_insta", "openshift-launc", "update-rc.d",
		"puppet", "falcoctl",
	},
})

write_etc_allowed_parents := union({
	sysdigcloud_binaries, mail_config_binaries, {"hddtemp.postins"}, sshkit_script_binaries,
	{"locales.postins"}, deb_binaries, {"dhclient", "dhclient-script", "11-dhclient"},
})

safe_etc_dirs := {
	"/etc/cassandra", "/etc/ssl/certs/java", "/etc/logstash", "/etc/nginx/conf.d",
	"/etc/container_environment", "/etc/hrmconfig", "/etc/fluent/configs.d", "/etc/alertmanager",
}

write_etc_allowed_files := {
	"/etc/container_environment.sh", "/etc/container_environment.json", "/etc/motd",
	"/etc/motd.svc",
}

# Falco's allowed_openshift_registry_root and the image names of its openshift_image.
openshift_registry_roots := {"openshift3/", "registry.redhat.io/openshift3/", "registry.access.redhat.com/openshift3/"}

openshift_image_suffixes := {
	"/logging-deployment", "/logging-elasticsearch", "/logging-kibana", "/logging-fluentd",
	"/logging-auth-proxy", "/metrics-deployer", "/metrics-hawkular-metrics", "/metrics-cassandra",
	"/metrics-heapster", "/ose-haproxy-router", "/ose-deployer", "/ose-sti-builder",
	"/ose-docker-builder", "/ose-pod", "/ose-node", "/ose-docker-registry",
	"/prometheus-node-exporter", "/image-inspector",
}

# Falco's allowed_aws_ecr_registry_root_for_eks.
aws_ecr_registry_roots_for_eks := {
	"602401143452.dkr.ecr", "877085696533.dkr.ecr", "800184023465.dkr.ecr", "918309763551.dkr.ecr",
	"961992271922.dkr.ecr", "590381155156.dkr.ecr", "558608220178.dkr.ecr", "151742754352.dkr.ecr",
	"013241004608.dkr.ecr",
}

# Falco's <program>_writing_<conf> macros of write_etc_common of the form "proc.name=P and
# fd.name startswith/= F (or fd.directory=D)": program -> the path prefixes it may write.
write_etc_program_prefixes := {
	"sed": ["/etc/sed", "/etc/apt/sources.list.d/sed", "/etc/apt/sed", "/etc/apt/apt.conf.d/sed"],
	"qualys-cloud-ag": ["/etc/qualys/cloud-agent/qagent-log.conf"],
	"git-remote-http": ["/etc/pki/nssdb/"], "curl": ["/etc/pki/nssdb/"],
	"sw-engine": ["/etc/sw/keys"], "sw-engine-fpm": ["/etc/sw/keys"], "sw-engine-kv": ["/etc/sw/keys"],
	"filemng": ["/etc/sw/keys"], "f2bmng": ["/etc/sw/keys"],
	"add-shell": ["/etc/shells.tmp"], "update-xmlcatal": ["/etc/xml/"],
	"supervise": ["/etc/sb/"], "svc": ["/etc/sb/"], "htpasswd": ["/etc/nginx/.htpasswd"],
	"dmeventd": ["/etc/lvm/archive", "/etc/lvm/backup", "/etc/lvm/cache"],
	"lvcreate": ["/etc/lvm/archive", "/etc/lvm/backup", "/etc/lvm/cache"],
	"pvscan": ["/etc/lvm/archive", "/etc/lvm/backup", "/etc/lvm/cache"],
	"lvs": ["/etc/lvm/archive", "/etc/lvm/backup", "/etc/lvm/cache"],
	"ovsdb-server": ["/etc/openvswitch/"], "rabbitmq-server": ["/etc/rabbitmq/"],
	"php_handlers_co": ["/etc/psa/php_versions.json"], "httpd": ["/etc/httpd/"],
	"openvpn": ["/etc/openvpn"], "openvpn-entrypo": ["/etc/openvpn"],
	"GetLinuxOS.sh": ["/etc/opt/microsoft/scx"],
	"NetworkWatcherA": ["/etc/init.d/AzureNetworkWatcherAgent"], "update-texmf": ["/etc/texmf"],
	"slapadd": ["/etc/ldap"], "semodule": ["/etc/selinux"], "genhomedircon": ["/etc/selinux"],
	"sefcontext_comp": ["/etc/selinux"],
	"nginx": ["/etc/nginx", "/etc/ingress-controller"],
	"nginx-ingress-c": ["/etc/nginx", "/etc/ingress-controller"],
	"nginx-ingress": ["/etc/nginx", "/etc/ingress-controller"],
	"adjoin": ["/etc/krb5"], "addns": ["/etc/krb5"], "start-ipsec.sh": ["/etc/ipsec/"],
	"userhelper": ["/etc/security"], "brandbot": ["/etc/os-release"],
	"run-redis": ["/etc/redis"], "redis-launcher.": ["/etc/redis"], "iscsiadm": ["/etc/iscsi"],
	"pilot-agent": ["/etc/istio"], "ufw": ["/etc/ufw/"],
	"prometheus-conf": ["/etc/prometheus/config_out"], "oc": ["/etc/origin/node"],
	"keepalived": ["/etc/keepalived/keepalived.conf"],
	"kube-keepalived": ["/etc/keepalived/keepalived.conf"], "macompatsvc": ["/etc/cma.d/"],
	"multipath": ["/etc/multipath/"], "consul-template": ["/etc/haproxy"],
	"start-fluentd": ["/etc/fluent/fluent.conf", "/etc/td-agent/td-agent.conf"],
	"symcfgd": ["/etc/symantec"], "navdefutil": ["/etc/symc-defutils.conf"],
	"start-mysql.sh": ["/etc/mysql", "/etc/my.cnf.d/"], "run-mysqld": ["/etc/mysql", "/etc/my.cnf.d/"],
	"update-haproxy-": ["/etc/openvpn/client.map", "/etc/haproxy"],
	"haproxy_reload.": ["/etc/openvpn/client.map", "/etc/haproxy"],
	"calico-node": ["/etc/calico"], "etcd-manager": ["/etc/hosts"],
}

# Falco's run_by_chef, run_by_centrify, run_by_adclient, dpkg_scripting,
# networkmanager_writing_resolv_conf (nm-dispatcher) and etckeeper: ancestors (proc.aname[2..4])
# whose descendants may write below /etc.
write_etc_allowed_ancestors := {
	"chef_command_wr", "chef-client", "centrify", "adclient", "dpkg-reconfigur",
	"dpkg-preconfigu", "etckeeper",
}

# Falco's Write below root macros of the form "proc.name=P and fd.name startswith F (or
# fd.directory=D)" (rpm, chef, kubectl, mysqlsh, dse, airflow writing their state).
write_root_program_prefixes := {
	"rpm": ["/root/.rpmdb/"], "chef-client": ["/root/.chef"], "kubectl": ["/root/.kube"],
	"oc": ["/root/.kube"], "mysqlsh": ["/root/.mysqlsh/"], "dse-entrypoint": ["/root/tmp__"],
	"airflow": ["/root/airflow"],
}

# Falco's known_decode_payload_containers (a template list).
known_decode_payload_containers := set()

# Falco's user_known_k8s_images and user_known_k8s_ns_kube_system_images.
user_known_k8s_images := {"mcr.microsoft.com/aks/hcp/hcp-tunnel-front"}

user_known_k8s_ns_kube_system_images := {
	"registry.k8s.io/fluentd-gcp-scaler",
	"registry.k8s.io/node-problem-detector/node-problem-detector",
}

# Falco's known_gke/aks/eks_mount_in_privileged_containers: [pod namespace, image repository].
known_mount_in_privileged_containers := {
	["kube-system", "gke.gcr.io/gcp-compute-persistent-disk-csi-driver"],
	["kube-system", "mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi"],
	["kube-system", "mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi"],
	["system", "mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver"],
	["kube-system", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver"],
}

# sudo's options that start a shell (Falco's Sudo Potential Privilege Escalation).
sudo_shell_options := {"-s", "-i", "--login"}

# Falco's System procs network activity: system_procs or shell_binaries, less
# known_system_procs_network_activity_binaries.
system_network_procs := ((coreutils_binaries | user_mgmt_binaries) | shell_binaries) - known_system_procs_network_activity_binaries

# Falco's web_server_binaries (spawned_by_web_server) and suspicious_web_children.
web_server_binaries := {
	"nginx", "httpd", "httpd-foregroun", "apache", "apache2", "lighttpd", "php-fpm", "php",
	"php-cgi", "php7", "php8", "gunicorn", "uwsgi",
}

suspicious_web_children := {
	"curl", "wget", "nc", "ncat", "netcat", "socat", "python", "python3", "perl", "ruby", "nmap",
	"id", "whoami", "uname", "base64",
}

# The command-line fragments of Falco's Reverse Shell from Web Server (a mkfifo below /tmp is
# tested apart).
reverse_shell_markers := {
	"/dev/tcp/", "nc -e", "ncat -e", "bash -i", "python -c 'import socket",
	"python3 -c 'import socket", "perl -e 'use Socket", "ruby -rsocket",
}

# Falco's miner_binaries.
miner_binaries := {
	"xmrig", "xmr-stak", "minerd", "minergate", "cpuminer", "ccminer", "ethminer", "cgminer",
	"bfgminer", "sgminer", "claymore", "nbminer", "t-rex", "gminer", "lolminer", "phoenixminer",
	"teamredminer", "nanominer", "bminer", "wildrig", "srbminer",
}

# Falco's node_package_managers.
node_package_managers := {"npm", "yarn", "pnpm", "bun"}

# Falco's run_as_root_image_list (a template list).
run_as_root_image_list := set()

# Falco's Privileged Container Device Access: block devices and memory.
block_device_prefixes := {"/dev/sd", "/dev/nvme", "/dev/vd", "/dev/xvd"}

memory_devices := {"/dev/mem", "/dev/kmem"}

# Falco's Container Access to Host Sensitive Paths: where host file systems are mounted.
host_mount_prefixes := {"/host/", "/rootfs/", "/hostfs/"}

# Falco's known_container_runtime_host_access.
container_runtime_binaries := {
	"containerd", "containerd-shim", "dockerd", "docker", "runc", "crio", "cri-o", "conmon",
	"podman",
}

# Falco's allowed_inbound_source_ipaddrs, allowed_inbound_source_networks and
# allowed_inbound_source_domains.
allowed_inbound_source_ipaddrs := {"127.0.0.1"}

allowed_inbound_source_networks := {"127.0.0.1/8", "10.0.0.0/8"}

allowed_inbound_source_domains := {"google.com"}

# Falco's bpf_profiled_binaries.
bpf_profiled_binaries := {"falco", "bpftool", "systemd"}

# The backdoored xz releases of CVE-2024-3094.
backdoored_liblzma_versions := {"liblzma.so.5.6.0", "liblzma.so.5.6.1"}

# Falco's system_level_side_effect_artifacts_kubectl_cp: what tar reads for itself.
kubectl_cp_side_effect_prefixes := {"/etc", "/proc", "/lib", "/run", "/usr"}
