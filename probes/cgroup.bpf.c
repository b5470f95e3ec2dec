/* Cgroup ids to paths, as cgroups are made. Records carry only the cgroup id of their task;
 * userspace finds the path by looking the id up under /sys/fs/cgroup. A container whose
 * process lives a few milliseconds (a scanner that fails at once) is gone, cgroup directory
 * and /proc entry, before its exec record is read, and would be taken for the host. The mkdir
 * record travels in the lifecycle lane ahead of that exec and names the cgroup.
 *
 * A cgroup tracepoint, not a syscall one: it adds nothing to the syscall path, and fires only
 * when a cgroup is made. */

TRACEPOINT_PROBE(cgroup, cgroup_mkdir)
{
	u32 zero = 0;
	struct record_buf *buf;
	struct cgroup_event *e;
	long n;

	/* Hierarchy 0 is the unified (v2) one, whose ids bpf_get_current_cgroup_id() returns;
	 * the v1 hierarchies' cgroups are named by their own paths in /proc/PID/cgroup. */
	if (args->root != 0)
		return 0;
	buf = record_scratch.lookup(&zero);
	if (!buf)
		return 0;
	e = (struct cgroup_event *)buf->bytes;
	fill_header(&e->h, OP_CGROUP, (u64)bpf_get_current_task_btf());
	e->id = args->id;
	e->_pad = 0;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path),
				      (char *)args + (args->data_loc_path & 0xFFFF));
	if (n <= 0)
		return 0;
	e->path_len = n - 1;
	/* The whole record, whatever the path's length: a constant size needs no proof for the
	 * verifier, and cgroups are made rarely. */
	e->h.size = sizeof(*e);
	submit_lifecycle(args, buf->bytes, sizeof(*e));
	return 0;
}
