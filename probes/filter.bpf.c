/* The kernel filter: an open whose path no rule can flag is counted and not written.
 *
 * Userspace fills the maps from the policies' data.bpfopa.kernel_filter (the literals of
 * lib/events.by_syscall's open prefilter; bpfopa/capture/_kfilter.py, whose CompiledFilter.keeps
 * is this decision in Python, checked against these probes on real opens). Every test can only
 * keep too much: a path the probe cannot judge from its bytes is kept.
 */

/* PREFIX_LIMIT (bytes of path the prefix trie compares: longer prefixes are refused) and
 * SCAN_LIMIT (bytes of path scanned for grams: a longer path is kept) come from _kfilter.py. */
#define INTENT_ANY 1
#define INTENT_WRITTEN 2

struct path_filter_spec {
	u8 enabled;
	u8 path_arg;
	u8 flags_arg;
	u8 flags_in_how;      /* openat2: the flags are the first u64 of struct open_how */
	u8 write_modes;       /* bit m set: access mode m (flags & 3) writes */
	u8 _pad[3];
	u64 pass_flags;       /* O_DIRECTORY | O_PATH: later *at calls resolve paths against the fd */
};

/* Indexed by syscall number like syscall_specs; all zero (not filtered) until userspace loads
 * a filter. */
BPF_ARRAY(path_filter_specs, struct path_filter_spec, NR_LIMIT);

struct path_prefix_key {
	u32 prefixlen;        /* bits */
	u8 data[PREFIX_LIMIT];
};
/* Path prefixes -> intents. The default policies need ~30; 4096 leaves room for long user
 * lists at ~150 bytes per entry. */
BPF_LPM_TRIE(path_prefixes, struct path_prefix_key, u8, 4096);

/* Needle grams -> intents: two[first two bytes] for 2-3 byte needles, four[hash of the first
 * four bytes] for longer ones. One 64 KiB table each: a byte per possible pair, and a hash
 * space where the few dozen needles of a policy rarely collide with an ordinary path's grams. */
struct path_grams {
	u8 two[65536];
	u8 four[65536];
};
BPF_ARRAY(path_gram_tables, struct path_grams, 1);

/* Records the filter skipped, per syscall number and CPU (observed = filtered + written). */
BPF_PERCPU_ARRAY(filtered_events, u64, NR_LIMIT);

/* The path under test, laid out as a trie key (the trie reads its first PREFIX_LIMIT bytes):
 * too large for the stack. SCAN_LIMIT + 1 bytes tell a path of SCAN_LIMIT bytes from a longer
 * one. */
struct path_scratch {
	u32 prefixlen;
	u8 data[SCAN_LIMIT + 1];
};
BPF_PERCPU_ARRAY(path_filter_scratch, struct path_scratch, 1);

static __always_inline void count_filtered(u32 nr)
{
	u64 *count = filtered_events.lookup(&nr);
	if (count)
		*count += 1;
}

/* Whether the record of an open goes to userspace; call: its arguments. */
static __always_inline bool path_keeps(struct path_filter_spec *spec, struct inflight_call *call)
{
	u32 zero = 0;
	struct path_grams *grams = path_gram_tables.lookup(&zero);
	struct path_scratch *path = path_filter_scratch.lookup(&zero);
	u64 flags = call->args[spec->flags_arg & 7];
	u32 gram = 0;
	u8 intent = 0;
	u8 *found;
	long n;
	u32 len;

	if (!grams || !path)
		return true;
	if (spec->flags_in_how) {
		u64 how_flags = 0;
		bpf_probe_read_user(&how_flags, sizeof(how_flags), (const void *)flags);
		flags = how_flags;
	}
	if (flags & spec->pass_flags)
		return true;
	n = bpf_probe_read_user_str(path->data, SCAN_LIMIT + 1,
				    (const void *)call->args[spec->path_arg & 7]);
	/* Unreadable, empty or longer than SCAN_LIMIT: the probe cannot judge it. */
	if (n <= 1 || n > SCAN_LIMIT)
		return true;
	len = n - 1;
	/* Hides from the compiler that len < SCAN_LIMIT, so that the loop keeps the constant bound
	 * the verifier needs. */
	asm volatile("" : "+r"(len));
	if (path->data[0] != '/')
		return true;
	/* No exit inside the loop: a single path leaves it, so the verifier walks what follows
	 * once rather than once per iteration. The barrier keeps the compiler from dropping the
	 * masks, which are what bound each index for the verifier. */
	for (u32 i = 1; i < SCAN_LIMIT; i++) {
		u32 at = i, before_at = i - 1;
		u8 c, before;
		if (i >= len)
			break;
		asm volatile("" : "+r"(at), "+r"(before_at));
		c = path->data[at & (SCAN_LIMIT - 1)];
		before = path->data[before_at & (SCAN_LIMIT - 1)];
		/* "//" and "/." (".", "..", a dot file): the capture normalises such a path, so its
		 * bytes are not what the rules see. */
		if (before == '/' && (c == '/' || c == '.'))
			intent |= INTENT_ANY;
		gram = (gram << 8) | before;
		intent |= grams->two[((gram & 0xff) << 8) | c];
		intent |= grams->four[(((gram << 8) | c) * 2654435761u) >> 16];
	}
	if (path->data[(len - 1) & (SCAN_LIMIT - 1)] == '/')
		intent |= INTENT_ANY;
	path->prefixlen = (len < PREFIX_LIMIT ? len : PREFIX_LIMIT) * 8;
	found = path_prefixes.lookup((struct path_prefix_key *)path);
	if (found)
		intent |= *found;
	if (intent & INTENT_ANY)
		return true;
	return (intent & INTENT_WRITTEN) && ((spec->write_modes >> (flags & 3)) & 1);
}
