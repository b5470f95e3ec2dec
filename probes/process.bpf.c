/* Process lifecycle for the userspace process table: new processes (not threads), successful
 * execs with their argv and environment read from the new image, and process exits.
 *
 * These records travel in a ring of their own: a flood of syscall records may fill `events`
 * and lose syscalls (counted), but never the process state every document is enriched from. */

#ifdef TRANSPORT_RINGBUF
/* LIFECYCLE_PAGES is set by userspace (ProbeConfig.lifecycle_pages: 8 MiB by default): about
 * 1,000 exec records at their largest (argv, environment and paths all full), or 200 ms of a
 * 20,000/s fork+exec+exit storm at typical sizes, for a reader held up by a busy CPU. */
BPF_RINGBUF_OUTPUT(lifecycle, LIFECYCLE_PAGES);
#else
BPF_PERF_OUTPUT(lifecycle);
#endif

/* Lifecycle records the transport refused (buffer full), per CPU: counted apart from syscall
 * losses because losing one of these makes later documents wrong, not just missing. */
BPF_PERCPU_ARRAY(lifecycle_lost, u64, 1);

static __always_inline void submit_lifecycle(void *ctx, void *record, u32 size)
{
	u32 zero = 0;
	u64 *lost;
	long err;

	if (size > RECORD_SIZE)
		size = RECORD_SIZE;
#ifdef TRANSPORT_RINGBUF
	err = lifecycle.ringbuf_output(record, size, BPF_RB_NO_WAKEUP);
#else
	err = lifecycle.perf_submit(ctx, record, size);
#endif
	if (err == 0)
		return;
	lost = lifecycle_lost.lookup(&zero);
	if (lost)
		__sync_fetch_and_add(lost, 1);
}

/* The executable's path, what d_path() would print: the dentry chain from the file up to the
 * root of its mount namespace, crossing mount points. bpf_d_path() is not allowed on
 * tracepoints, so the names are copied leaf first and userspace puts them in order. A path
 * deeper than EXE_PATH_DEPTH components or longer than EXE_PATH_BUDGET bytes is marked
 * truncated (userspace then falls back to the path given to exec). */
#define EXE_PATH_DEPTH 40
#define EXE_PATH_BUDGET 2048 /* with filename, argv and env still below ITEM_AREA; power of two */
#define NAME_LIMIT 256       /* NAME_MAX + NUL */

static __always_inline void put_exe_path(u8 *items, u32 *pos, u64 file)
{
	u64 dentry = read_kernel_u64(file + OFF_FILE_DENTRY);
	u64 vfsmnt = read_kernel_u64(file + OFF_FILE_MNT);
	u64 mnt = vfsmnt - OFF_MOUNT_MNT;
	u32 at = *pos & ITEM_MASK;
	struct item *it = (struct item *)(items + at);
	u32 len = 0;
	u8 status = ITEM_TRUNCATED;

	for (int i = 0; i < EXE_PATH_DEPTH; i++) {
		u64 root = read_kernel_u64(vfsmnt + OFF_VFSMOUNT_MNT_ROOT);
		u64 parent = read_kernel_u64(dentry + OFF_DENTRY_PARENT);

		if (dentry == root || dentry == parent) {
			u64 mnt_parent = read_kernel_u64(mnt + OFF_MOUNT_MNT_PARENT);

			/* The namespace's root mount is its own parent; a dentry that is its own
			 * parent without being a mount root belongs to an internal mount (memfd). */
			if (dentry != root || mnt == mnt_parent) {
				status = ITEM_OK;
				break;
			}
			dentry = read_kernel_u64(mnt + OFF_MOUNT_MNT_MOUNTPOINT);
			mnt = mnt_parent;
			vfsmnt = mnt + OFF_MOUNT_MNT;
			continue;
		}
		if (len > EXE_PATH_BUDGET)
			break;
		long n = bpf_probe_read_kernel_str(
			items + ((at + sizeof(struct item) + len) & ITEM_MASK), NAME_LIMIT,
			(void *)read_kernel_u64(dentry + OFF_DENTRY_NAME));
		if (n <= 0) {
			status = ITEM_UNREADABLE;
			break;
		}
		/* The NUL separates components. The mask changes nothing (len stays below the
		 * budget) but gives every path the same range, so the verifier can prune. */
		len = (len + n) & (2 * EXE_PATH_BUDGET - 1);
		dentry = parent;
	}
	it->arg = 3;
	it->status = status;
	it->len = len;
	*pos = at + sizeof(struct item) + len;
}

/* Raw tracepoint: the plain one gives only tids, and threads fork too. */
int trace_sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	u64 child = ctx->args[1];
	u32 child_pid = read_kernel_u32(child + OFF_TASK_PID);
	u32 child_tgid = read_kernel_u32(child + OFF_TASK_TGID);
	u32 zero = 0;
	struct record_buf *buf;
	struct fork_event *e;

	if (child_pid != child_tgid)
		return 0; /* a new thread: the process table tracks processes */
	buf = record_scratch.lookup(&zero);
	if (!buf)
		return 0;
	e = (struct fork_event *)buf->bytes;
	fill_header(&e->h, OP_FORK, (u64)bpf_get_current_task_btf());
	e->child_pid = child_tgid;
	e->child_ppid = read_kernel_u32(read_kernel_u64(child + OFF_TASK_REAL_PARENT) + OFF_TASK_TGID);
	e->child_start_ns = read_kernel_u64(child + OFF_TASK_START_BOOTTIME);
	e->h.size = sizeof(*e);
	submit_lifecycle(ctx, buf->bytes, sizeof(*e));
	return 0;
}

/* Falco's proc.is_exe_upper_layer: an overlayfs inode with an upper dentry was written (or
 * copied up) in the writable layer, i.e. it is not part of the container's image. */
static __always_inline u32 exe_layer(u64 inode)
{
#if OFF_OVL_INODE_UPPERDENTRY >= 0
	u64 sb = read_kernel_u64(inode + OFF_INODE_SB);

	if (read_kernel_u64(sb + OFF_SUPER_BLOCK_MAGIC) != OVERLAYFS_SUPER_MAGIC)
		return EXE_LAYER_KNOWN;
	if (read_kernel_u64(inode - OFF_OVL_INODE_VFS_INODE + OFF_OVL_INODE_UPPERDENTRY))
		return EXE_LAYER_KNOWN | EXE_ON_OVERLAY | EXE_UPPER_LAYER;
	return EXE_LAYER_KNOWN | EXE_ON_OVERLAY;
#else
	return 0;
#endif
}

int trace_sched_process_exec(void *ctx)
{
	u64 task = (u64)bpf_get_current_task_btf();
	u64 mm = read_kernel_u64(task + OFF_TASK_MM);
	u64 cred = read_kernel_u64(task + OFF_TASK_CRED);
	u64 tty = read_kernel_u64(read_kernel_u64(task + OFF_TASK_SIGNAL) + OFF_SIGNAL_TTY);
	u64 arg_start = read_kernel_u64(mm + OFF_MM_ARG_START);
	u64 arg_end = read_kernel_u64(mm + OFF_MM_ARG_END);
	u64 env_start = read_kernel_u64(mm + OFF_MM_ENV_START);
	u64 env_end = read_kernel_u64(mm + OFF_MM_ENV_END);
	u32 zero = 0;
	struct record_buf *buf = record_scratch.lookup(&zero);
	struct exec_event *e;
	u8 *items;
	u32 pos = 0;

	if (!buf)
		return 0;
	e = (struct exec_event *)buf->bytes;
	fill_header(&e->h, OP_EXEC, task);
	e->cap_effective = read_kernel_u64(cred + OFF_CRED_CAP_EFFECTIVE);
	e->start_ns = read_kernel_u64(task + OFF_TASK_START_BOOTTIME);
	e->loginuid = read_kernel_u32(task + OFF_TASK_LOGINUID);
	e->tty_major = 0;
	e->tty_minor = 0;
	if (tty) {
		u64 driver = read_kernel_u64(tty + OFF_TTY_DRIVER);
		e->tty_major = read_kernel_u32(driver + OFF_TTY_DRIVER_MAJOR);
		e->tty_minor = read_kernel_u32(driver + OFF_TTY_DRIVER_MINOR_START) +
			       read_kernel_u32(tty + OFF_TTY_INDEX);
	}
	/* What really runs, whatever path exec was given: a memfd's dentry is "memfd:<name>". */
	u64 exe_file = read_kernel_u64(mm + OFF_MM_EXE_FILE);
	u64 exe_dentry = read_kernel_u64(exe_file + OFF_FILE_DENTRY);
	e->exe_name[0] = 0;
	bpf_probe_read_kernel_str(e->exe_name, sizeof(e->exe_name),
				  (void *)read_kernel_u64(exe_dentry + OFF_DENTRY_NAME));
	e->exe_flags = exe_layer(read_kernel_u64(exe_file + OFF_FILE_INODE));
	e->argv_size = arg_end > arg_start ? arg_end - arg_start : 0;
	e->env_size = env_end > env_start ? env_end - env_start : 0;
	items = buf->bytes + sizeof(struct exec_event);
	/* __data_loc: the low 16 bits of the field are the string's offset in the record. The
	 * field's own offset comes from the tracepoint's format file. */
	u32 filename_loc = *(u32 *)((u8 *)ctx + EXEC_FILENAME_LOC_OFFSET);
	put_str(items, &pos, 0, (u8 *)ctx + (filename_loc & 0xFFFF), PATH_LIMIT, false);
	put_exe_path(items, &pos, exe_file);
	put_bytes(items, &pos, 1, (void *)arg_start, e->argv_size, ARGV_LIMIT);
	put_bytes(items, &pos, 2, (void *)env_start, e->env_size, ENV_LIMIT);
	e->h.size = sizeof(struct exec_event) + (pos & (ITEM_AREA * 2 - 1));
	submit_lifecycle(ctx, buf->bytes, e->h.size);
	return 0;
}

int trace_sched_process_exit(void *ctx)
{
	u64 task = (u64)bpf_get_current_task_btf();
	u64 signal = read_kernel_u64(task + OFF_TASK_SIGNAL);
	u32 zero = 0;
	struct record_buf *buf;
	struct exit_event *e;

	/* The process ends with its last thread, which need not be the leader: do_exit has
	 * already counted this one out of signal->live (Tetragon tests the same). */
	if (read_kernel_u32(signal + OFF_SIGNAL_LIVE) != 0)
		return 0;
	buf = record_scratch.lookup(&zero);
	if (!buf)
		return 0;
	e = (struct exit_event *)buf->bytes;
	fill_header(&e->h, OP_EXIT, task);
	e->start_ns = read_kernel_u64(task + OFF_TASK_START_BOOTTIME);
	e->h.size = sizeof(*e);
	submit_lifecycle(ctx, buf->bytes, sizeof(*e));
	return 0;
}
