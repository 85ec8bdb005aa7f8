"""Is simpool's cost linear in the number of requests?

    python benchmarks/scaling.py [--sizes 50000,200000,800000] [--repeats 3]

Runs simpool's M/M/25 benchmark scenario at each size and the bare callback-style SimPy
model on the same traffic, interleaved (CPU time, medians). Linear cost means a constant
rate: the script checks that the rate at the largest size is within 15% of the rate at
the smallest, and prints simpool/bare at each size.
"""

from __future__ import annotations

import argparse
import sys

from _common import alternate, machine, median_rate, median_ratio, mmc_scenario, run_bare, run_simpool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,200000,800000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    run_simpool(mmc_scenario(5_000))
    print(f"# simpool M/M/25 at rho 0.8, median of {args.repeats} interleaved runs (CPU time)")
    print(f"# {machine()}")
    print(f"{'requests':>10} {'simpool req/s':>14} {'bare req/s':>12} {'simpool/bare':>13} {'us/request':>11}")
    rates = []
    for n in sizes:
        scenario = mmc_scenario(n)
        samples = alternate({"simpool": lambda s=scenario: run_simpool(s),
                             "bare": lambda s=scenario: run_bare(s)}, args.repeats)
        rate = median_rate(samples["simpool"])
        rates.append(rate)
        print(f"{n:>10,} {rate:>14,.0f} {median_rate(samples['bare']):>12,.0f} "
              f"{median_ratio(samples['simpool'], samples['bare']):>12.2f}x {1e6 / rate:>11.2f}")
    drift = rates[-1] / rates[0]
    ok = drift > 0.85
    print(f"rate at {sizes[-1]:,} / rate at {sizes[0]:,}: {drift:.2f} "
          f"(linear cost: {'ok' if ok else 'FAILED'}, threshold 0.85)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
