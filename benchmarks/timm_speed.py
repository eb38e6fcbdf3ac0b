"""Whole-process wall time of ``cnnscope list 'timm:*'`` and ``cnnscope summary timm:NAME``.

Method: every command is a fresh ``python`` subprocess (interpreter start-up, imports, building,
printing: what a user waits for), interleaved round by round so drift of the machine hits every
command alike, after one untimed warm-up round (page cache, and the timm name list is written).
The report gives the minimum ("floor") and the median of the repeats.  The floor that no
timm-based tool can avoid is ``python -c "import torch, timm"``; targets:
``list 'timm:*'`` <= 1.5 s, ``summary timm:NAME`` <= 1.15 x that floor (both on the minimum).
The report cache plays no part: ``timm:`` names are never cached (``CNNSCOPE_CACHE`` only moves the
timm name list beside it).

Usage::

    python benchmarks/timm_speed.py [--repeats 7] [--model convnext_tiny]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

PY = sys.executable


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", default="convnext_tiny")
    args = parser.parse_args()
    commands = {
        "python -c 'import torch, timm'": [PY, "-c", "import torch, timm"],
        "cnnscope list 'timm:*'": [PY, "-m", "cnnscope", "list", "timm:*"],
        f"cnnscope summary timm:{args.model}": [PY, "-m", "cnnscope", "summary", f"timm:{args.model}"],
    }
    for argv in commands.values():  # warm-up: page cache and the timm name list
        wall(argv)
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(args.repeats):
        for key, argv in commands.items():
            times[key].append(wall(argv))
    floor = min(times["python -c 'import torch, timm'"])
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} CPUs; {args.repeats} repeats")
    print(f"{'command':<44} {'min s':>7} {'median s':>9} {'min / floor':>12}")
    for key, values in times.items():
        print(f"{key:<44} {min(values):7.2f} {statistics.median(values):9.2f} {min(values) / floor:12.2f}")


if __name__ == "__main__":
    main()
