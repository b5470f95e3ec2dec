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
	"containerd-shim", "systemd", "crio",
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
