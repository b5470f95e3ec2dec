/* Helpers every probe uses: the record header, kernel reads through BTF offsets, submission. */
#ifndef BPFOPA_COMMON_H
#define BPFOPA_COMMON_H

static __always_inline u64 read_kernel_u64(u64 addr)
{
	u64 value = 0;
	bpf_probe_read_kernel(&value, sizeof(value), (void *)addr);
	return value;
}

static __always_inline u32 read_kernel_u32(u64 addr)
{
	u32 value = 0;
	bpf_probe_read_kernel(&value, sizeof(value), (void *)addr);
	return value;
}

static __always_inline bool is_excluded(u32 tgid)
{
#ifdef TARGET_TGID
	if (tgid != TARGET_TGID)
		return true;
#endif
	return excluded_tgids.lookup(&tgid) != NULL;
}

/* A field of a kernel struct, through a pointer the verifier types from the running kernel's
 * BTF (bpf_get_current_task_btf, bpf_task_pt_regs and what they point to): it checks each
 * offset against that BTF and the JIT makes the read a plain load, where bpf_probe_read_kernel
 * is a helper call (~40 ns each on this project's VM). */
#define BTF_FIELD(type, ptr, offset) (*(type *)((ptr) + (offset)))

/* task: bpf_get_current_task_btf(). */
static __always_inline void fill_header(struct event_header *h, u8 opcode, u64 task)
{
	u64 parent = BTF_FIELD(u64, task, OFF_TASK_REAL_PARENT);
	u64 cred = BTF_FIELD(u64, task, OFF_TASK_CRED);

	h->opcode = opcode;
	h->flags = 0;
	h->nr = 0;
	h->ts = bpf_ktime_get_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = BTF_FIELD(u32, task, OFF_TASK_TGID);
	h->tid = BTF_FIELD(u32, task, OFF_TASK_PID);
	h->ppid = BTF_FIELD(u32, parent, OFF_TASK_TGID);
	h->uid = BTF_FIELD(u32, cred, OFF_CRED_UID);
	h->gid = BTF_FIELD(u32, cred, OFF_CRED_GID);
	h->euid = BTF_FIELD(u32, cred, OFF_CRED_EUID);
	*(u64 *)&h->comm[0] = BTF_FIELD(u64, task, OFF_TASK_COMM);
	*(u64 *)&h->comm[8] = BTF_FIELD(u64, task, OFF_TASK_COMM + 8);
}

static __always_inline void count_lost(void)
{
	u32 zero = 0;
	u64 *lost = lost_events.lookup(&zero);
	if (lost)
		__sync_fetch_and_add(lost, 1);
}

static __always_inline void submit(void *ctx, void *record, u32 size)
{
	if (size > RECORD_SIZE)
		size = RECORD_SIZE;
#ifdef TRANSPORT_RINGBUF
	/* No wakeup: userspace drains on a timer, which costs the traced process far less than a
	 * wakeup per event. */
	if (events.ringbuf_output(record, size, BPF_RB_NO_WAKEUP) != 0)
		count_lost();
#else
	if (events.perf_submit(ctx, record, size) != 0)
		count_lost();
#endif
}

/* Appends a NUL-terminated user (or kernel) string as an item at *pos. */
static __always_inline void put_str(u8 *items, u32 *pos, u8 arg, const void *src, u32 limit,
				    bool user)
{
	u32 at = *pos & ITEM_MASK;
	struct item *it = (struct item *)(items + at);
	u8 *dst = items + at + sizeof(struct item);
	long n;

	if (user)
		n = bpf_probe_read_user_str(dst, limit, src);
	else
		n = bpf_probe_read_kernel_str(dst, limit, src);
	it->arg = arg;
	if (n <= 0) {
		it->status = ITEM_UNREADABLE;
		it->len = 0;
		*pos = at + sizeof(struct item);
		return;
	}
	it->status = ITEM_OK;
	if (n == limit) {
		/* Filled the buffer: truncated unless the string ended exactly there. */
		char next = 0;
		if (user)
			bpf_probe_read_user(&next, 1, src + limit - 1);
		else
			bpf_probe_read_kernel(&next, 1, src + limit - 1);
		if (next != 0)
			it->status = ITEM_TRUNCATED;
	}
	it->len = n - 1;
	*pos = at + sizeof(struct item) + (n - 1);
}

/* Appends len bytes of user memory (len below limit, a power of two) as an item at *pos. */
static __always_inline void put_bytes(u8 *items, u32 *pos, u8 arg, const void *src, u64 len,
				      u32 limit)
{
	u32 at = *pos & ITEM_MASK;
	struct item *it = (struct item *)(items + at);
	u8 status = ITEM_OK;

	if (len > limit - 1) {
		len = limit - 1;
		status = ITEM_TRUNCATED;
	}
	len &= limit - 1;
	it->arg = arg;
	if (len == 0 || bpf_probe_read_user(items + at + sizeof(struct item), len, src) != 0) {
		it->status = len == 0 ? status : ITEM_UNREADABLE;
		it->len = 0;
		*pos = at + sizeof(struct item);
		return;
	}
	it->status = status;
	it->len = len;
	*pos = at + sizeof(struct item) + len;
}

#endif
