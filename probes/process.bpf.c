/* Process lifecycle for the userspace process table: new processes (not threads), successful
 * execs with their argv and environment read from the new image, and process exits. */

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
	e->h.size = sizeof(*e);
	submit(ctx, buf->bytes, sizeof(*e));
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
	put_bytes(items, &pos, 1, (void *)arg_start, e->argv_size, ARGV_LIMIT);
	put_bytes(items, &pos, 2, (void *)env_start, e->env_size, ENV_LIMIT);
	e->h.size = sizeof(struct exec_event) + (pos & (ITEM_AREA * 2 - 1));
	submit(ctx, buf->bytes, e->h.size);
	return 0;
}

int trace_sched_process_exit(void *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u32 zero = 0;
	struct record_buf *buf;
	struct event_header *h;

	if ((u32)pid_tgid != pid_tgid >> 32)
		return 0; /* a thread, not the process */
	buf = record_scratch.lookup(&zero);
	if (!buf)
		return 0;
	h = (struct event_header *)buf->bytes;
	fill_header(h, OP_EXIT, (u64)bpf_get_current_task_btf());
	h->size = sizeof(*h);
	submit(ctx, buf->bytes, sizeof(*h));
	return 0;
}
