/* Records shared by every probe, mirrored in bpfopa/wire/_structs.py (checked by a test).
 *
 * Kernel struct members are read only through OFF_* offsets that userspace takes from the running
 * kernel's BTF and passes as -D flags: the headers BCC compiles against may be another kernel's.
 */
#ifndef BPFOPA_H
#define BPFOPA_H

#define OP_SYSCALL 1
#define OP_EXEC 2
#define OP_FORK 3
#define OP_EXIT 4
#define OP_CGROUP 5

/* ArgKind in bpfopa/schema/_syscalls.py */
#define ARG_VALUE 0
#define ARG_PATH 1
#define ARG_STRING 2
#define ARG_SOCKADDR 3
#define ARG_SOCKADDR_OUT 4
#define ARG_OPEN_HOW 5
#define ARG_MSGHDR 6

/* item.status */
#define ITEM_OK 0
#define ITEM_TRUNCATED 1
#define ITEM_UNREADABLE 2

#define PATH_LIMIT 4096   /* PATH_MAX: a longer path fails in the kernel too */
#define STRING_LIMIT 256  /* memfd names, fs types, module args */
#define SOCKADDR_LIMIT 128 /* sizeof(struct sockaddr_storage) */
#define OPEN_HOW_SIZE 24
#ifndef ARGV_LIMIT
#define ARGV_LIMIT 4096   /* bytes of argv kept per exec; power of two */
#endif
#ifndef ENV_LIMIT
#define ENV_LIMIT 4096    /* bytes of environment kept per exec; power of two */
#endif

#define ITEM_AREA 16384   /* item writes start below this (a mask), and may run past it */
#define ITEM_MASK (ITEM_AREA - 1)
#define RECORD_SIZE (ITEM_AREA + PATH_LIMIT + 64 + sizeof(struct syscall_event))

#define NR_LIMIT 512      /* syscall numbers below this: x86_64 and arm64 both fit */

struct event_header {
	u8 opcode;
	u8 flags;
	u16 size;             /* bytes in the whole record */
	u32 nr;               /* OP_SYSCALL: syscall number */
	u64 ts;               /* bpf_ktime_get_ns() */
	u64 cgroup_id;        /* cgroup v2 id of the task */
	u32 pid;              /* tgid */
	u32 tid;
	u32 ppid;             /* real_parent's tgid */
	u32 uid;
	u32 gid;
	u32 euid;
	char comm[16];
};

struct syscall_event {
	struct event_header h;
	s64 ret;
	u64 args[6];
	/* then items */
};

/* exec_event.exe_flags */
#define EXE_LAYER_KNOWN 1   /* the probe could tell the overlayfs layer (kernel BTF has ovl_inode) */
#define EXE_ON_OVERLAY 2    /* the executable is a file of an overlayfs mount (a container root) */
#define EXE_UPPER_LAYER 4   /* ... in its upper, writable layer: written after the mount */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

struct exec_event {
	struct event_header h;
	u64 cap_effective;
	u64 start_ns;         /* task start_boottime: with the pid, the execution's id */
	u32 loginuid;
	u32 tty_major;
	u32 tty_minor;        /* driver minor_start + index */
	u32 argv_size;        /* full size of the argv area, even when only ARGV_LIMIT is kept */
	u32 env_size;
	u32 exe_flags;        /* EXE_*: where the executable lives */
	char exe_name[32];    /* the executable's dentry name: "memfd:x" for fileless execution */
	/* then items: 0 filename, 1 argv (NUL-separated), 2 env (NUL-separated),
	 * 3 the executable's path as components, leaf first (NUL-separated) */
};

struct fork_event {
	struct event_header h; /* the parent */
	u32 child_pid;
	u32 child_ppid;
	u64 child_start_ns;   /* the child's start_boottime */
};

struct exit_event {
	struct event_header h;
	u64 start_ns;         /* start_boottime of the process that exits */
};

/* A cgroup of the unified hierarchy was made: its id (what every header's cgroup_id holds)
 * and its path from the hierarchy's root. CGROUP_PATH_LIMIT is a power of two for the
 * verifier and holds the longest paths runtimes make (systemd-driver pod scopes: ~150 bytes). */
#define CGROUP_PATH_LIMIT 512
struct cgroup_event {
	struct event_header h;
	u64 id;
	u32 path_len;         /* bytes of path, without its NUL */
	u32 _pad;
	char path[CGROUP_PATH_LIMIT];
};

/* One captured argument, followed by len bytes (strings without their NUL). */
struct item {
	u8 arg;
	u8 status;
	u16 len;
};

struct syscall_spec {
	u8 enabled;
	u8 kinds[6];
	u8 length_arg;        /* SOCKADDR*: index of the (pointer to the) length argument */
};

#endif
