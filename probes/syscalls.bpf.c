/* Selected syscalls: one record per completed syscall, emitted at exit with the return value
 * and the strings and sockaddrs the arguments point to. Strings are read at exit, as Falco
 * does: the kernel has consumed them by then and the memory is still mapped.
 *
 * The arguments at exit come from one of two places:
 *  - registers (default): the task's saved user registers (bpf_task_pt_regs, kernel >= 5.15),
 *    which a syscall leaves as they were, so only the exit needs a program;
 *  - map: an entry program parks them per thread in `inflight` (older kernels).
 * Two attach modes share the handlers: per-syscall tracepoints (default: only the selected
 * syscalls pay) and raw sys_enter/sys_exit (every syscall pays, nothing is missed).
 */

struct syscall_enter_args {
	u64 common;
	s64 nr;
	u64 args[6];
};

struct syscall_exit_args {
	u64 common;
	s64 nr;
	s64 ret;
};

static __always_inline int on_enter(u32 nr, u64 *args)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct syscall_spec *spec;
	struct inflight_call call = {};

	if (nr >= NR_LIMIT)
		return 0;
	spec = syscall_specs.lookup(&nr);
	if (!spec || !spec->enabled || is_excluded(tgid))
		return 0;
	call.nr = nr;
#pragma unroll
	for (int i = 0; i < 6; i++)
		call.args[i] = args[i];
	inflight.update(&tid, &call);
	return 0;
}

static __always_inline void put_arg(u8 *items, u32 *pos, u8 arg, u8 kind,
				    struct inflight_call *call, u8 length_arg, s64 ret)
{
	const void *ptr = (const void *)call->args[arg & 7];
	u64 len;
	int out_len = 0;

	switch (kind) {
	case ARG_PATH:
		put_str(items, pos, arg, ptr, PATH_LIMIT, true);
		break;
	case ARG_STRING:
		put_str(items, pos, arg, ptr, STRING_LIMIT, true);
		break;
	case ARG_SOCKADDR:
		len = call->args[length_arg & 7];
		if (ptr)
			put_bytes(items, pos, arg, ptr, len, SOCKADDR_LIMIT);
		break;
	case ARG_SOCKADDR_OUT:
		/* Filled by the kernel on success; its length sits behind a pointer. */
		if (ptr && ret >= 0) {
			bpf_probe_read_user(&out_len, sizeof(out_len),
					    (const void *)call->args[length_arg & 7]);
			put_bytes(items, pos, arg, ptr, (u64)(u32)out_len, SOCKADDR_LIMIT);
		}
		break;
	case ARG_MSGHDR:
		/* struct user_msghdr starts with msg_name and msg_namelen; on recvmsg the kernel
		 * has filled both by exit. */
		if (ptr) {
			u64 name = 0;
			u32 namelen = 0;
			bpf_probe_read_user(&name, sizeof(name), ptr);
			bpf_probe_read_user(&namelen, sizeof(namelen), ptr + 8);
			if (name && (ret >= 0 || call->nr != RECVMSG_NR))
				put_bytes(items, pos, arg, (const void *)name, namelen, SOCKADDR_LIMIT);
		}
		break;
	case ARG_OPEN_HOW:
		put_bytes(items, pos, arg, ptr, OPEN_HOW_SIZE, SOCKADDR_LIMIT);
		break;
	}
}

/* task: bpf_get_current_task_btf(). */
static __always_inline int emit(void *ctx, struct inflight_call *call, s64 ret, u64 task)
{
	u32 zero = 0;
	u32 nr = call->nr;
	struct syscall_spec *spec = syscall_specs.lookup(&nr);
	struct path_filter_spec *filter = path_filter_specs.lookup(&nr);
	struct record_buf *buf = record_scratch.lookup(&zero);
	struct syscall_event *e;
	u8 *items;
	u32 pos = 0;

	if (!spec || !filter || !buf)
		return 0;
	/* Before the record is built: a filtered open costs a path read and a scan, no more. */
	if (filter->enabled && !path_keeps(filter, call)) {
		count_filtered(nr);
		return 0;
	}
	e = (struct syscall_event *)buf->bytes;
	fill_header(&e->h, OP_SYSCALL, task);
	e->h.nr = nr;
	e->ret = ret;
#pragma unroll
	for (int i = 0; i < 6; i++)
		e->args[i] = call->args[i];
	items = buf->bytes + sizeof(struct syscall_event);
	/* A successful exec replaced the memory the arguments pointed into; the exec record
	 * carries the filename and argv instead. */
	if (!(spec->kinds[0] == ARG_PATH && ret == 0 && (nr == EXECVE_NR || nr == EXECVEAT_NR))) {
#pragma unroll
		for (int i = 0; i < 6; i++) {
			if (spec->kinds[i] != ARG_VALUE)
				put_arg(items, &pos, i, spec->kinds[i], call, spec->length_arg, ret);
		}
	}
	e->h.size = sizeof(struct syscall_event) + (pos & (ITEM_AREA * 2 - 1));
	submit(ctx, buf->bytes, e->h.size);
	return 0;
}

/* map pairing: the entry program parked the arguments. */
static __always_inline int on_exit(void *ctx, s64 ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct inflight_call *call = inflight.lookup(&tid);

	if (!call)
		return 0;
	emit(ctx, call, ret, (u64)bpf_get_current_task_btf());
	inflight.delete(&tid);
	return 0;
}

/* registers pairing: the arguments are still in the registers saved at syscall entry. Only
 * selected syscalls get past the first test, so everything else costs one array lookup. */
static __always_inline int on_exit_regs(void *ctx, u32 nr, s64 ret)
{
	struct syscall_spec *spec;
	struct inflight_call call = {};
	u64 task, regs;

	if (nr >= NR_LIMIT)
		return 0;
	spec = syscall_specs.lookup(&nr);
	if (!spec || !spec->enabled)
		return 0;
	task = (u64)bpf_get_current_task_btf();
	if (is_excluded(BTF_FIELD(u32, task, OFF_TASK_TGID)))
		return 0;
	regs = (u64)bpf_task_pt_regs((struct task_struct *)task);
	call.nr = nr;
	call.args[0] = BTF_FIELD(u64, regs, OFF_REGS_ARG0);
	call.args[1] = BTF_FIELD(u64, regs, OFF_REGS_ARG1);
	call.args[2] = BTF_FIELD(u64, regs, OFF_REGS_ARG2);
	call.args[3] = BTF_FIELD(u64, regs, OFF_REGS_ARG3);
	call.args[4] = BTF_FIELD(u64, regs, OFF_REGS_ARG4);
	call.args[5] = BTF_FIELD(u64, regs, OFF_REGS_ARG5);
	return emit(ctx, &call, ret, task);
}

/* Attached to selected syscalls:sys_enter_<name>: their formats share this layout. The kernel
 * refuses a program that reads past a tracepoint's record, so there is one program per argument
 * count. The names avoid BCC's tracepoint__ prefix, which would attach them on load. */
#define SYS_ENTER_WITH_ARGS(n)                                              \
	int trace_syscalls_sys_enter_##n(struct syscall_enter_args *ctx)    \
	{                                                                   \
		u64 args[6] = {};                                           \
		_Pragma("unroll") for (int i = 0; i < n; i++)               \
			args[i] = ctx->args[i];                             \
		return on_enter((u32)ctx->nr, args);                        \
	}
SYS_ENTER_WITH_ARGS(0)
SYS_ENTER_WITH_ARGS(1)
SYS_ENTER_WITH_ARGS(2)
SYS_ENTER_WITH_ARGS(3)
SYS_ENTER_WITH_ARGS(4)
SYS_ENTER_WITH_ARGS(5)
SYS_ENTER_WITH_ARGS(6)

int trace_syscalls_sys_exit(struct syscall_exit_args *ctx)
{
	return on_exit(ctx, ctx->ret);
}

int trace_syscalls_sys_exit_regs(struct syscall_exit_args *ctx)
{
	return on_exit_regs(ctx, (u32)ctx->nr, ctx->ret);
}

/* --attach raw: every syscall of every process enters (and leaves) here. */
int trace_raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	u64 regs = ctx->args[0];
	u64 args[6];

	args[0] = read_kernel_u64(regs + OFF_REGS_ARG0);
	args[1] = read_kernel_u64(regs + OFF_REGS_ARG1);
	args[2] = read_kernel_u64(regs + OFF_REGS_ARG2);
	args[3] = read_kernel_u64(regs + OFF_REGS_ARG3);
	args[4] = read_kernel_u64(regs + OFF_REGS_ARG4);
	args[5] = read_kernel_u64(regs + OFF_REGS_ARG5);
	return on_enter((u32)ctx->args[1], args);
}

int trace_raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit(ctx, (s64)ctx->args[1]);
}

int trace_raw_sys_exit_regs(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit_regs(ctx, (u32)read_kernel_u64(ctx->args[0] + OFF_REGS_NR),
			    (s64)ctx->args[1]);
}
