"""After the probes are loaded, the memory BCC's compiler leaves behind is given back: its code
pages paged out and malloc's free lists trimmed (see bpfopa/capture/_memory.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# In a fresh interpreter, so that nothing else this test session compiled is in the picture.
MEASURE = textwrap.dedent(
    """
    import json
    from bcc import BPF
    from bpfopa.capture._memory import release_compiler_memory

    def compiler_rss_kb():
        total, name = 0, ""
        for line in open("/proc/self/smaps"):
            fields = line.split()
            if "-" in fields[0] and len(fields[0]) > 8 and ":" not in fields[0]:
                name = fields[5] if len(fields) >= 6 else ""
            elif fields[0] == "Rss:" and ("libLLVM" in name or "libclang" in name):
                total += int(fields[1])
        return total

    bpf = BPF(text=b'int noop(void *ctx) { return 0; }')
    before = compiler_rss_kb()
    released = release_compiler_memory()
    print(json.dumps({"before": before, "after": compiler_rss_kb(),
                      "mappings": released.mappings, "failed": released.failed}))
    """
)


def test_compiler_code_is_paged_out_after_compiling() -> None:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE], capture_output=True, text=True, check=True, timeout=120
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    assert measured["mappings"] > 0 and measured["failed"] == 0, measured
    # Compiling touched a good part of the compiler's code; after the release little stays.
    assert measured["before"] > 10_000, measured
    assert measured["after"] < measured["before"] / 2, measured
