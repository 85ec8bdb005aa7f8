"""simpool against a bare callback-style SimPy M/M/c, on the same arrivals and query times.

    python benchmarks/mmc.py [--requests 200000] [--repeats 5] [--timeout 2s]

Both run M/M/25 at ρ = 0.8 (Poisson 2000/s, exponential 10 ms queries) in this process,
interleaved, and the script prints requests per second (medians), the ratio simpool/bare
(median of per-round ratios), and checks both against Erlang C. The bare model is FIFO and
simpool is Go's random waiter order, so their per-request waits differ but their means
agree; the bare model's mean is the FIFO control variate of tests/test_theory.py.

``--timeout 2s`` leaves simpool's default request deadline on (each waiter's context
deadline, kept by one timer per pool, and the deadline checks of every query). The bare
model is not given one: at rho 0.8 the longest wait is milliseconds, so no request ever
reaches a 2 s deadline and the bare model's results would be the same with or without it.
The comparison is then whole process against whole process, the deadline's bookkeeping
charged to simpool alone (the stricter baseline).
"""

from __future__ import annotations

import argparse
import sys

from _common import (
    MEAN_SERVICE,
    RATE,
    SERVERS,
    alternate,
    machine,
    median_rate,
    median_ratio,
    mmc_scenario,
    run_bare,
    run_heapq,
    run_simpool,
)

from simpool.stats import erlang_c, mmc_mean_wait


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-heapq", action="store_true", help="skip the hand-written heapq loop")
    parser.add_argument("--timeout", default="0", help="simpool's request timeout, a Go duration (default 0: "
                        "none; simpool's own default is 2s); the bare models have none")
    args = parser.parse_args()

    scenario = mmc_scenario(args.requests, timeout=args.timeout)
    runs = {"simpool": lambda: run_simpool(scenario), "bare": lambda: run_bare(scenario)}
    if not args.no_heapq:
        runs["heapq"] = lambda: run_heapq(scenario)
    run_simpool(mmc_scenario(5_000, timeout=args.timeout))  # warm imports and caches before timing
    samples = alternate(runs, args.repeats)

    print(f"# M/M/{SERVERS} at rho {RATE * MEAN_SERVICE / SERVERS:g}, {args.requests} requests, "
          f"median of {args.repeats} interleaved runs, simpool's request timeout {args.timeout}")
    print(f"# {machine()}")
    print(f"{'model':<10} {'requests/s':>12} {'mean wait ms':>13} {'P(wait>0)':>10}")
    for name, results in samples.items():
        out = results[0][1]
        print(f"{name:<10} {median_rate(results):>12,.0f} {out['mean_wait'] * 1e3:>13.4f} {out['p_wait']:>10.4f}")
    ratio = median_ratio(samples["simpool"], samples["bare"])
    print(f"ratio simpool / bare SimPy: {ratio:.2f}x (target >= 0.6x)")
    if "heapq" in samples:
        print(f"ratio simpool / heapq loop: {median_ratio(samples['simpool'], samples['heapq']):.2f}x")

    theory_wait = mmc_mean_wait(SERVERS, RATE, MEAN_SERVICE)
    theory_p = erlang_c(SERVERS, RATE * MEAN_SERVICE)
    simpool_out, bare_out = samples["simpool"][0][1], samples["bare"][0][1]
    # FIFO control variate: simpool's mean minus the bare FIFO model's error on this path.
    controlled = simpool_out["mean_wait"] - (bare_out["mean_wait"] - theory_wait)
    controlled_p = simpool_out["p_wait"] - (bare_out["p_wait"] - theory_p)
    print(f"Erlang C: mean wait {theory_wait * 1e3:.4f} ms, P(wait>0) {theory_p:.4f}; "
          f"simpool with FIFO control variate: {controlled * 1e3:.4f} ms, {controlled_p:.4f}")
    # Raw estimates wander: over 20 seeds at 200k requests the mean wait's spread is 6% and
    # P(wait>0)'s 3.2% (one standard deviation); allow three, scaled by 1/sqrt(requests).
    scale = (200_000 / args.requests) ** 0.5
    tol_wait, tol_p = 0.18 * scale, 0.10 * scale
    checks = {
        "same requests": simpool_out["requests"] == bare_out["requests"],
        f"bare mean wait within {tol_wait:.0%} of Erlang C": abs(bare_out["mean_wait"] / theory_wait - 1) < tol_wait,
        f"bare P(wait>0) within {tol_p:.0%} of Erlang C": abs(bare_out["p_wait"] / theory_p - 1) < tol_p,
        f"simpool mean wait within {tol_wait:.0%} of Erlang C": abs(simpool_out["mean_wait"] / theory_wait - 1) < tol_wait,
        f"simpool P(wait>0) within {tol_p:.0%} of Erlang C": abs(simpool_out["p_wait"] / theory_p - 1) < tol_p,
        "simpool with the FIFO control variate within 3% of Erlang C (mean wait and P(wait>0))":
            abs(controlled / theory_wait - 1) < 0.03 and abs(controlled_p / theory_p - 1) < 0.03,
    }
    for name, ok in checks.items():
        print(f"check: {name}: {'ok' if ok else 'FAILED'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
