"""The whole default kernel experiment, timed as a whole process: ``cnnscope kernels --train``.

Method
------
* One fresh ``python -m cnnscope kernels --train --format json`` process (interpreter start,
  imports, data, 4 variants × 3 seeds of 30 epochs, the effective fields, the verdict), timed
  around ``subprocess.run``; the load average before and after is printed next to the time, since
  this machine is shared.  ``--repeats N`` runs it N times and reports each time and the median.
* Extra arguments after ``--`` go to the command (``-- --device cuda``, ``-- --epochs 10``).
* The table printed is the experiment's own JSON: per variant the weights, MACs, mean ± sd over
  seeds of the final and best validation accuracy and the final training loss, how many seeds
  converged, the mean effective-RF squares and the seconds per run; then the verdict.

Usage::

    python benchmarks/kernels.py [--repeats 1] [--json out.json] [-- extra kernels options]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def run_once(extra: list[str]) -> tuple[float, dict, str, str]:
    command = [sys.executable, "-m", "cnnscope", "kernels", "--train", "--format", "json", *extra]
    before = load()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, json.loads(done.stdout), before, load()


def table(data: dict) -> str:
    training = data["training"]
    geometry = {v["kind"]: v for v in data["variants"]}
    lines = ["| variant | weights | MACs | final val acc | best val acc | final train loss | converged | "
             "effective RF 50% / 90% | s per run |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, v in training["variants"].items():
        erf = v.get("erf_squares_mean") or {}
        lines.append(
            f"| {kind} | {geometry[kind]['params']:,} | {geometry[kind]['macs']:,} | "
            f"{100 * v['val_acc_mean']:.1f} ± {100 * v['val_acc_sd']:.1f} % | "
            f"{100 * v['best_val_acc_mean']:.1f} ± {100 * v['best_val_acc_sd']:.1f} % | "
            f"{v['train_loss_mean']:.3f} ± {v['train_loss_sd']:.3f} | {sum(v['converged'])} of {len(v['converged'])} | "
            f"{erf.get('50%', 0):.3g} / {erf.get('90%', 0):.3g} | {v['seconds_mean']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the timings and the last experiment here")
    parser.add_argument("extra", nargs="*", help="options for `cnnscope kernels --train` (after --)")
    args = parser.parse_args()
    times, data = [], None
    for k in range(args.repeats):
        seconds, data, before, after = run_once(args.extra)
        times.append(seconds)
        print(f"run {k + 1}: {seconds:.1f} s whole process (load average before {before}, after {after})",
              flush=True)
    training = data["training"]
    print(f"\nmedian {statistics.median(times):.1f} s over {len(times)} run(s); experiment's own clock "
          f"{training['seconds']:.1f} s; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"device {training['device']}")
    print(f"settings: seeds {training['seeds']}, {training['epochs']} epochs, lr {training['lr']}, "
          f"input {training['input_size']}, C={training['channels']}, batch {training['batch_size']}\n")
    print(table(data))
    print("\nverdict:", training["verdict"]["text"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"seconds": times, "command": ["cnnscope", "kernels", "--train", *args.extra],
                       "experiment": data}, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
