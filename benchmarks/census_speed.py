"""Speed of ``cnnscope census``: models per minute with 1 and 2 workers, the wall time of every torchvision
model, the whole timm census, and what a worker costs to start.

Method: every census is a fresh ``python -m cnnscope census ... -o FILE.csv`` subprocess, timed around the
process (interpreter start, imports, the forkserver's preload, every model, every row written: what a user
waits for).  Models per minute = rows written / wall time.  The file's ``seconds`` column (each model's
build and analysis, measured in its worker) is summed too: if it grows with 2 workers, the workers slowed
each other (or the machine was busy).  While a census runs, the resident memory of its workers (the
forkserver's children) is sampled every ``--sample`` seconds; "peak memory per worker" is the largest
sample and, independently, the largest ``peak_memory_bytes`` of a row (a worker's VmHWM during one model).
"Busy" is that sum over workers × wall time: the share of the workers' time spent on models (not on
start-up, the main process or the last models' tail).  The load average (``os.getloadavg``) is printed
before and after each census: other sessions share this machine.

Usage::

    python benchmarks/census_speed.py rate              # every torchvision model, --workers 1 then 2
    python benchmarks/census_speed.py startup           # a worker's start, forkserver against imports
    python benchmarks/census_speed.py memory            # a worker's memory after each model, before/after trim
    python benchmarks/census_speed.py timm --out timm.csv   # the full timm census (long: run it under nice)
    python benchmarks/census_speed.py summarize timm.csv    # a census file's rows, statuses, memory

``rate`` and ``timm`` resume nothing: the output file is removed first.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
TORCHVISION_GROUPS = "torchvision,detection,segmentation,video,optical_flow"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


class WorkerSampler(threading.Thread):
    """Samples the resident memory of a census's workers: the processes two levels below it (the census
    process -> the forkserver -> the workers)."""

    def __init__(self, pid: int, every: float):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_mb = 0.0
        self.most_workers = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            workers = [w for server in children(self.pid) for w in children(server)]
            self.most_workers = max(self.most_workers, len(workers))
            for worker in workers:
                self.peak_mb = max(self.peak_mb, resident_mb(worker))


def census(args: list[str], out: Path, workers: int, sample: float, nice: int = 0) -> dict:
    """Run one census into ``out``; its wall time, rows and memory."""
    out.unlink(missing_ok=True)
    argv = [PY, "-m", "cnnscope", "census", *args, "--workers", str(workers), "-o", str(out)]
    if nice:
        argv = ["nice", "-n", str(nice), *argv]
    before = load()
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    sampler = WorkerSampler(process.pid, sample)  # nice execs the command: the same pid
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    sampler.stopped.set()
    if process.returncode != 0:
        print(f"census exited {process.returncode}: {err.strip().splitlines()[-1:]}", file=sys.stderr)
    summary = summarize(out)
    summary.update(workers=workers, wall=wall, load_before=before, load_after=load(),
                   sampled_peak_mb=sampler.peak_mb, most_workers=sampler.most_workers, returncode=process.returncode)
    return summary


def summarize(path: Path) -> dict:
    """Rows, statuses, summed model seconds and the largest per-model peak memory of a census file."""
    rows = list(csv.DictReader(path.open())) if path.exists() else []
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    peaks = [int(row["peak_memory_bytes"]) / 2**20 for row in rows if row["peak_memory_bytes"]]
    seconds = [float(row["seconds"]) for row in rows if row["seconds"]]
    slowest = max(rows, key=lambda r: float(r["seconds"] or 0), default=None)
    return {"rows": len(rows), "statuses": statuses, "model_seconds": sum(seconds),
            "row_peak_mb": max(peaks, default=0.0), "median_row_peak_mb": statistics.median(peaks) if peaks else 0.0,
            "slowest": f"{slowest['name']} {float(slowest['seconds']):.1f} s" if slowest else "",
            "failed": [(r["name"], r["status"], r["error"][:80]) for r in rows if r["status"] != "ok"]}


def print_census(result: dict) -> None:
    per_minute = result["rows"] / result["wall"] * 60 if result["wall"] else 0.0
    busy = result["model_seconds"] / (result["workers"] * result["wall"]) if result["wall"] else 0.0
    print(f"| {result['workers']} | {result['rows']} | {result['wall']:.1f} | {per_minute:.1f} | "
          f"{result['model_seconds']:.1f} | {busy:.0%} | {result['row_peak_mb']:.0f} | "
          f"{result['sampled_peak_mb']:.0f} | "
          f"{result['load_before']} → {result['load_after']} |")


HEADER = ("| workers | models | wall (s) | models/min | Σ model s | busy | max row peak (MB) "
          "| max sampled worker RSS (MB) | load 1/5/15 min before → after |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def rate(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="census-speed-"))
    results = []
    print(f"{os.cpu_count()} CPUs; every torchvision model (--group {TORCHVISION_GROUPS}); "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(HEADER)
    for workers in args.workers:
        result = census(["--group", TORCHVISION_GROUPS], folder / f"torchvision-{workers}.csv", workers, args.sample)
        results.append(result)
        print_census(result)
        sys.stdout.flush()
    by_workers = {r["workers"]: r["rows"] / r["wall"] for r in results}
    if 1 in by_workers and 2 in by_workers:
        print(f"\n2 workers / 1 worker, models per minute: {by_workers[2] / by_workers[1]:.2f}×")
    for result in results:
        if result["failed"] or result["returncode"]:
            print(f"workers {result['workers']}: exit {result['returncode']}, not ok: {result['failed']}")
        print(f"workers {result['workers']}: slowest model {result['slowest']}; statuses {result['statuses']}")


def startup(args) -> None:
    """What a worker costs to start: the imports a spawned worker would pay, against a forked one."""
    from cnnscope.studies.census.pool import PRELOAD

    imports = "import " + ", ".join(PRELOAD)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([PY, "-c", imports], check=True, cwd=ROOT, env=ENV)
        times.append(time.perf_counter() - start)
    print(f"load {load()}")
    print(f"a fresh process importing what a census worker needs ({imports}): "
          f"median {statistics.median(times):.2f} s of {args.repeats}")
    code = (
        "import time\n"
        "from cnnscope.studies.census.pool import run_local\n"
        "if __name__ == '__main__':\n"
        "    for recycle in (1, 50):\n"
        "        start = time.perf_counter(); first = None\n"
        "        for e in run_local(['lenet5'] * 9, workers=1, recycle_after=recycle):\n"
        "            if first is None and type(e).__name__ == 'Finished': first = time.perf_counter() - start\n"
        "        print(recycle, first, time.perf_counter() - start - first)\n")
    lines = subprocess.run([PY, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT,
                           env=ENV).stdout.split("\n")
    (_, first, rest_fresh), (_, _, rest_kept) = [line.split() for line in lines[:2]]
    print(f"first row of a census (forkserver started and preloaded, one worker forked): {float(first):.2f} s")
    print(f"8 more lenet5 rows: each on a fresh worker {float(rest_fresh):.2f} s, on the same worker "
          f"{float(rest_kept):.2f} s -> a recycled worker costs {(float(rest_fresh) - float(rest_kept)) / 8:.3f} s")


def memory(args) -> None:
    """One process, ``census_row`` of each model in turn: the peak during it, the resident memory after it,
    and after glibc's ``malloc_trim(0)`` (what a census worker now does after every model)."""
    import ctypes

    from cnnscope.studies.census.pool import resident_bytes
    from cnnscope.studies.census.row import census_row

    trim = ctypes.CDLL("libc.so.6").malloc_trim
    print(f"load {load()}")
    print("| model | model s | VmHWM during it (MB) | VmRSS after (MB) | after malloc_trim (MB) | malloc_trim took |\n"
          "|---|---:|---:|---:|---:|---:|")
    for name in args.models:
        row = census_row(name)
        after = resident_bytes()
        start = time.perf_counter()
        trim(0)
        took = time.perf_counter() - start
        print(f"| {name} | {row['seconds']:.2f} | {row['peak_memory_bytes'] / 2**20:.0f} | {after / 2**20:.0f} | "
              f"{resident_bytes() / 2**20:.0f} | {took * 1000:.1f} ms |", flush=True)
    print(f"load {load()}")


def timm(args) -> None:
    out = Path(args.out)
    print(f"{os.cpu_count()} CPUs; the timm census ('timm:*'), nice {args.nice}; "
          f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    result = census(["timm:*"], out, args.workers[0], args.sample, nice=args.nice)
    print(HEADER)
    print_census(result)
    print(f"statuses {result['statuses']}; slowest model {result['slowest']}; median row peak "
          f"{result['median_row_peak_mb']:.0f} MB; at most {result['most_workers']} workers seen at once")
    for failed in result["failed"]:
        print("not ok:", *failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["rate", "startup", "memory", "timm", "summarize"])
    parser.add_argument("file", nargs="?", help="summarize: the census file")
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="rate: 1 2; timm: 2")
    parser.add_argument("--sample", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument("--repeats", type=int, default=3, help="startup: repeats")
    parser.add_argument("--out", default="timm-census.csv", help="timm: the census file")
    parser.add_argument("--nice", type=int, default=10, help="timm: nice level")
    parser.add_argument("--models", nargs="+", default=["resnet18", "maskrcnn_resnet50_fpn", "resnet18"],
                        help="memory: the models, in this order")
    args = parser.parse_args()
    if args.what == "rate":
        args.workers = args.workers or [1, 2]
        rate(args)
    elif args.what == "startup":
        startup(args)
    elif args.what == "memory":
        memory(args)
    elif args.what == "timm":
        args.workers = args.workers or [2]
        timm(args)
    else:
        result = summarize(Path(args.file))
        print({k: v for k, v in result.items() if k != "failed"})
        for failed in result["failed"]:
            print("not ok:", *failed)


if __name__ == "__main__":
    main()
