"""Whole-process wall time and peak memory of ``cnnscope summary`` against torchinfo.

Method
------
* Every command is a fresh ``python`` subprocess, so each measurement includes interpreter
  start-up, ``import torch``, building the model and printing -- what a user waits for.
* Wall time is measured around ``subprocess.Popen`` ... ``os.wait4``; peak RSS is the child's
  own ``ru_maxrss`` from ``os.wait4(pid, 0)`` (KiB on Linux), i.e. that one process only.
  Linux carries the spawning process's high-water RSS into the child across exec, so this
  harness stays small (it imports torch only after all runs) and ~16 MB is the floor it can see.
* Both sides run in the same invocation of this script, on the same machine, and the commands
  are interleaved (round 1 of every command, then round 2, ...), so slow drift of the machine
  (thermal, page cache, other load) hits every command alike.
* One untimed warm-up round fills the page cache; the report gives medians over the repeats.
* The floor, ``python -c "import torch, torchvision"``, is the cost no torch-based tool can
  avoid; cnnscope's targets are stated as ratios to it and to the torchinfo equivalent.

Usage::

    python benchmarks/summary_speed.py [--repeats 5] [--large-repeats 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

PY = sys.executable

TORCHINFO_SCRIPT = (
    "import torchvision, torchinfo\n"
    "model = torchvision.models.{name}()\n"
    "print(torchinfo.summary(model, input_size={shape}, verbose=0))\n"
)


@dataclass
class Command:
    key: str
    label: str
    argv: list[str]
    large: bool = False          # run --large-repeats times with a long timeout
    walls: list[float] = field(default_factory=list)
    peaks_kb: list[int] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak_mb(self) -> float:
        return statistics.median(self.peaks_kb) / 1024


# The CLI caches zoo reports (cnnscope/cache.py).  "Cold" turns the cache off: the full import,
# build and trace.  "Warm" uses a private cache primed once before measuring.
WARM_CACHE = os.path.join(tempfile.gettempdir(), "cnnscope-bench-cache")
COLD = ["env", "CNNSCOPE_CACHE=0"]
WARM = ["env", f"CNNSCOPE_CACHE={WARM_CACHE}"]


def prime_warm_cache() -> None:
    subprocess.run(WARM + [PY, "-m", "cnnscope", "summary", "vgg16"], stdout=subprocess.DEVNULL, check=True)


def torchinfo_argv(name: str, shape: tuple[int, ...]) -> list[str]:
    return [PY, "-c", TORCHINFO_SCRIPT.format(name=name, shape=shape)]


def build_commands() -> list[Command]:
    commands = [
        Command("floor", "floor: import torch, torchvision", [PY, "-c", "import torch, torchvision"]),
        Command("cnnscope_vgg16", "cnnscope summary vgg16 (cold: no cache)", COLD + [PY, "-m", "cnnscope", "summary", "vgg16"]),
        Command("cnnscope_vgg16_warm", "cnnscope summary vgg16 (warm cache)", WARM + [PY, "-m", "cnnscope", "summary", "vgg16"]),
        Command("torchinfo_vgg16", "torchinfo vgg16 (1,3,224,224)", torchinfo_argv("vgg16", (1, 3, 224, 224))),
        Command("help_module", "python -m cnnscope --help", [PY, "-m", "cnnscope", "--help"]),
    ]
    script = shutil.which("cnnscope")
    if script:
        commands.append(Command("help_script", "cnnscope --help (console script)", [script, "--help"]))
    else:
        print("warning: no `cnnscope` console script on PATH; skipping it", file=sys.stderr)
    commands += [
        Command("cnnscope_regnet", "cnnscope summary regnet_y_128gf (cold: no cache)",
                COLD + [PY, "-m", "cnnscope", "summary", "regnet_y_128gf"], large=True),
        Command("torchinfo_regnet", "torchinfo regnet_y_128gf (1,3,384,384)",
                torchinfo_argv("regnet_y_128gf", (1, 3, 384, 384)), large=True),
    ]
    return commands


def measure(argv: list[str], timeout: float) -> tuple[float, int]:
    """Run ``argv`` once with stdout discarded; return (wall seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise RuntimeError(f"timed out after {timeout:.0f} s: {argv}")
        time.sleep(0.005)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # stop Popen from reaping it again
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {argv[:3]}...\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss


def run_rounds(commands: list[Command], repeats: int, large_repeats: int,
               timeout: float, large_timeout: float) -> None:
    """Warm-up round (not recorded), then interleaved rounds of every command."""
    rounds = max(repeats, large_repeats)
    for r in range(-1, rounds):
        for cmd in commands:
            wanted = large_repeats if cmd.large else repeats
            if r == -1 and cmd.large:
                continue  # the large runs are too slow to spend on warming up
            if r >= wanted:
                continue
            wall, peak = measure(cmd.argv, large_timeout if cmd.large else timeout)
            tag = "warm-up" if r == -1 else f"round {r + 1}"
            print(f"  {tag:>8}  {cmd.label:<42} {wall:7.2f} s  {peak / 1024:8.1f} MB", file=sys.stderr)
            if r >= 0:
                cmd.walls.append(wall)
                cmd.peaks_kb.append(peak)


REFERENCE = {  # command -> the command its ratio column is relative to
    "floor": "floor",
    "cnnscope_vgg16": "torchinfo_vgg16",
    "cnnscope_vgg16_warm": "torchinfo_vgg16",
    "torchinfo_vgg16": "floor",
    "help_module": "floor",
    "help_script": "floor",
    "cnnscope_regnet": "torchinfo_regnet",
    "torchinfo_regnet": "floor",
}


def markdown_table(by_key: dict[str, Command]) -> str:
    lines = ["| command | runs | median wall (s) | median peak RSS (MB) | wall / ref | peak / ref | ref |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for key, cmd in by_key.items():
        ref = by_key[REFERENCE[key]]
        lines.append(f"| `{cmd.label}` | {len(cmd.walls)} | {cmd.wall:.2f} | {cmd.peak_mb:.0f} | "
                     f"{cmd.wall / ref.wall:.2f} | {cmd.peak_mb / ref.peak_mb:.2f} | {ref.key} |")
    return "\n".join(lines)


def target_checks(by_key: dict[str, Command]) -> list[dict]:
    """The ratios the targets are stated in: (name, value, limit, strict?)."""
    c = by_key
    checks = [
        ("cnnscope vgg16 (cold) / torchinfo vgg16, wall", c["cnnscope_vgg16"].wall / c["torchinfo_vgg16"].wall, 0.65, False),
        ("cnnscope vgg16 (warm cache) / torchinfo vgg16, wall",
         c["cnnscope_vgg16_warm"].wall / c["torchinfo_vgg16"].wall, 0.65, False),
        ("cnnscope vgg16 / floor, wall", c["cnnscope_vgg16"].wall / c["floor"].wall, 1.15, False),
        ("cnnscope vgg16 / floor, peak RSS", c["cnnscope_vgg16"].peak_mb / c["floor"].peak_mb, 1.10, False),
        ("cnnscope regnet / torchinfo regnet, wall", c["cnnscope_regnet"].wall / c["torchinfo_regnet"].wall, 0.30, False),
        ("cnnscope regnet / torchinfo regnet, peak RSS",
         c["cnnscope_regnet"].peak_mb / c["torchinfo_regnet"].peak_mb, 0.30, False),
        ("python -m cnnscope --help, wall (s)", c["help_module"].wall, 0.5, True),
    ]
    if "help_script" in c:
        checks.append(("cnnscope --help (console script), wall (s)", c["help_script"].wall, 0.5, True))
    return [{"name": name, "value": value, "limit": limit,
             "op": "<" if strict else "<=",
             "pass": value < limit if strict else value <= limit}
            for name, value, limit, strict in checks]


def environment() -> dict:
    import torch
    import torchvision

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "nproc": os.cpu_count(), "cpu": cpu,
            "loadavg_at_end": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each small command (default 5)")
    parser.add_argument("--large-repeats", type=int, default=2, help="timed runs of each regnet command (default 2)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per small run")
    parser.add_argument("--large-timeout", type=float, default=1800, help="seconds allowed per regnet run")
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers here")
    args = parser.parse_args(argv)

    commands = build_commands()
    prime_warm_cache()
    load_start = os.getloadavg()
    run_rounds(commands, args.repeats, args.large_repeats, args.timeout, args.large_timeout)
    by_key = {cmd.key: cmd for cmd in commands}
    checks = target_checks(by_key)

    load_end = os.getloadavg()
    print(markdown_table(by_key))
    print()
    print(f"load average (1/5/15 min): start {load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f}, "
          f"end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f} on {os.cpu_count()} CPUs")
    print()
    for chk in checks:
        verdict = "PASS" if chk["pass"] else "FAIL"
        print(f"- {chk['name']}: {chk['value']:.3f} (target {chk['op']} {chk['limit']}) {verdict}")

    if args.json:
        raw = {"environment": environment(),
               "commands": {c.key: {"label": c.label, "argv": c.argv, "wall_s": c.walls,
                                    "peak_rss_kb": c.peaks_kb, "median_wall_s": c.wall,
                                    "median_peak_mb": c.peak_mb} for c in commands},
               "targets": checks, "loadavg_start": load_start}
        with open(args.json, "w") as fh:
            json.dump(raw, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
