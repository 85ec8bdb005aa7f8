"""Bytecodes executed per request, by function: a noise-free view of where the time goes.

    python benchmarks/opcodes.py [simpool|bare] [--top 20] [--requests 20000]

Traces every opcode (``sys.settrace`` with ``f_trace_opcodes``) during one run of the
M/M/25 benchmark scenario (slow: a few seconds for 20k requests) and prints the count per
request for the busiest functions. C code (heapq, numpy, list.append) counts as the one
opcode that calls it, so this is a proxy for Python-level work, not a timing.
"""

from __future__ import annotations

import argparse
import collections
import sys

from _common import mmc_scenario, run_bare, run_simpool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=("simpool", "bare"), nargs="?", default="simpool")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--timeout", default="0", help="simpool's request timeout (its default: 2s)")
    args = parser.parse_args()
    run = run_simpool if args.model == "simpool" else run_bare
    scenario = mmc_scenario(args.requests, timeout=args.timeout)
    run(mmc_scenario(200, timeout=args.timeout))  # imports and first-call costs out of the count
    counts: collections.Counter[str] = collections.Counter()

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        name = f"{frame.f_code.co_qualname} ({frame.f_code.co_filename.rsplit('/', 1)[-1]})"

        def local(frame, event, arg):
            if event == "opcode":
                counts[name] += 1
            return local

        return local

    sys.settrace(tracer)
    try:
        out = run(scenario)
    finally:
        sys.settrace(None)
    n = out["requests"]
    print(f"{args.model}: {sum(counts.values()) / n:.1f} opcodes per request ({n:,} requests)")
    for name, count in counts.most_common(args.top):
        print(f"{count / n:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
