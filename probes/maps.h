/* Maps shared by the probes. Sizes are chosen for a busy 2-64 CPU host; the reasons sit beside
 * each one. */
#ifndef BPFOPA_MAPS_H
#define BPFOPA_MAPS_H

#ifdef TRANSPORT_RINGBUF
/* RINGBUF_PAGES is set by userspace (ProbeConfig.ringbuf_pages: 16 MiB by default, ~80k
 * typical records, which covers a reader held up for 200 ms by a busy CPU). */
BPF_RINGBUF_OUTPUT(events, RINGBUF_PAGES);
#else
BPF_PERF_OUTPUT(events);
#endif

/* Per-syscall capture spec, indexed by syscall number; userspace fills it from the schema. */
BPF_ARRAY(syscall_specs, struct syscall_spec, NR_LIMIT);

/* Entry arguments of syscalls in flight, by tid: one per thread inside a selected syscall.
 * 10240 threads blocked at once (accept, connect) is far above what a node runs. */
struct inflight_call {
	u32 nr;
	u32 _pad;
	u64 args[8];        /* 6 used; 8 so that a masked index stays inside */
};
BPF_HASH(inflight, u32, struct inflight_call, 10240);

/* Processes whose syscalls are not captured: the monitor itself and the OPA server it runs,
 * or it would feed on its own /proc reads and HTTP traffic. */
BPF_HASH(excluded_tgids, u32, u8, 64);

/* Events the transport refused (buffer full), per CPU: the kernel's own loss count. */
BPF_PERCPU_ARRAY(lost_events, u64, 1);

/* Scratch space to build one record: too large for the 512-byte BPF stack. */
struct record_buf {
	u8 bytes[RECORD_SIZE];
};
BPF_PERCPU_ARRAY(record_scratch, struct record_buf, 1);

#endif
