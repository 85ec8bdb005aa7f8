#!/bin/sh
# Every benchmark, in the order benchmarks/README.md reports them (about 16 minutes on
# 2 cores). Usage, from the repository root:  sh benchmarks/run_all.sh | tee benchmarks/RESULTS.txt
set -e
cd "$(dirname "$0")/.."
echo "## git: $(git rev-parse --short HEAD) $(git log -1 --format=%s | cut -c1-80)"
echo; echo "## mmc.py --repeats 15"; python benchmarks/mmc.py --repeats 15
echo; echo "## scaling.py"; python benchmarks/scaling.py
echo; echo "## memory.py --sizes 10000,1000000,10000000"; python benchmarks/memory.py --sizes 10000,1000000,10000000
echo; echo "## memory.py --sizes 10000,1000000 --tracemalloc"; python benchmarks/memory.py --sizes 10000,1000000 --tracemalloc
for s in pool-per-request fifo-leak db-overload; do
  echo; echo "## memory.py --scenario $s --sizes 20000,200000 --tracemalloc"
  python benchmarks/memory.py --scenario "$s" --sizes 20000,200000 --tracemalloc
done
echo; echo "## sweep.py --repeats 3"; python benchmarks/sweep.py --repeats 3
echo; echo "## startup.py"; python benchmarks/startup.py
echo; echo "## recommend.py"; python benchmarks/recommend.py
echo; echo "## sweep.py --headline"; python benchmarks/sweep.py --headline
echo; echo "## budget.py"; python benchmarks/budget.py
echo; echo "## history.py (simpool/bare at each step of issue #5)"
python benchmarks/history.py 6e7c246 fb0c98d a339153 a124845 e8c6e20 4c98954 39c23b0 d206d79 5bc2a44 HEAD
