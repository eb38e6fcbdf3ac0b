"""What cnnscope's analysis costs per model, against torch's ``FlopCounterMode`` (issue 26, item 4).

Three timings of the *same already-built meta model* with the *same input* (building is never timed):

(a) a bare forward pass, ``model(x)`` under ``torch.no_grad()``: the floor every meta tracer pays;
(b) ``torch.utils.flop_counter.FlopCounterMode(display=False)`` around that forward;
(c) ``cnnscope.analyze(model, input_shape)``: trace, costs, receptive fields, the whole report.

Target: the total of (c) over the timm models at most the total of (b) (ratio c/b <= 1.0).

Models (fixed, so runs compare): timm's ``timm.list_models()`` sorted, every ``--step``-th
(default 9, so ~152 names) from the first, skipping the ones that fail to build on meta or whose
forward fails in any of (a), (b), (c), up to ``--count`` (default 150) models; then every
torchvision classifier (``cnnscope list --group torchvision``), reported apart.  The skipped names are
listed.  Each model is built on meta at its natural input (the timm pretrained config's
``input_size``, the torchvision weights' crop size), batch 1.

Warm: each model runs (a), (b), (c) once untimed first (first calls pay for lazy imports, meta
kernels and dispatch caches met for the first time, which would fall on whichever ran first),
then ``--repeats`` (default 1) timed rounds of (a), (b), (c); the per-model figure is the minimum
of its rounds.  Garbage is collected before each timed call, and the collector is off while it runs.

Clock: the CPU time of this process (``time.process_time``), because the machine this was
written on is shared (2 cores, other jobs running): a meta forward is single-threaded Python and
C++ work, so its CPU seconds are its cost, and other jobs' load barely moves them, while wall
seconds move with the load.  ``--wall`` times wall seconds instead.

Usage::

    python benchmarks/analysis_overhead.py                    # 150 timm models + torchvision
    python benchmarks/analysis_overhead.py --limit 20         # the first 20 of that list
    python benchmarks/analysis_overhead.py --models timm:resnet50 vgg16
    python benchmarks/analysis_overhead.py --limit 30 --profile   # + cProfile of (c), top functions
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout


def timm_names(step: int) -> list[str]:
    import timm

    return [f"timm:{name}" for name in sorted(timm.list_models())[::step]]


def torchvision_names() -> list[str]:
    from cnnscope.zoo.registry import list_entries

    return [e.name for e in list_entries() if e.group == "torchvision"]


def build(name: str):
    """(model on meta, input shape with batch 1)."""
    from cnnscope.sources import load_model

    loaded = load_model(name, device="meta")
    return loaded.module.eval(), (1, *loaded.input_shape)


CLOCK = time.process_time  # CPU seconds of this process (--wall: time.perf_counter)


def timed(fn, profiler: cProfile.Profile | None = None) -> float:
    gc.collect()
    gc.disable()
    try:
        if profiler is not None:
            profiler.enable()
        start = CLOCK()
        fn()
        return CLOCK() - start
    finally:
        if profiler is not None:
            profiler.disable()
        gc.enable()


def three_ways(model, shape):
    """The three callables (a), (b), (c) for one model and input shape."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import cnnscope

    x = torch.empty(shape, device="meta")

    def bare():
        with torch.no_grad():
            model(x)

    def flop_counter():
        with torch.no_grad(), FlopCounterMode(display=False):
            model(x)

    def analysis():
        cnnscope.analyze(model, shape)

    return bare, flop_counter, analysis


def measure(names: list[str], count: int | None, repeats: int, profiler: cProfile.Profile | None):
    """[(name, a, b, c)] of the models that ran, and [(name, reason)] of those skipped."""
    results, skipped = [], []
    for name in names:
        if count is not None and len(results) >= count:
            break
        try:
            model, shape = build(name)
            calls = three_ways(model, shape)
            for call in calls:  # warm-up, untimed; a failure here skips the model
                call()
        except Exception as exc:  # noqa: BLE001 - a benchmark lists what it skips
            skipped.append((name, (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]))
            continue
        best = [float("inf")] * 3
        for _ in range(repeats):
            for k, call in enumerate(calls):
                best[k] = min(best[k], timed(call, profiler if k == 2 else None))
        results.append((name, *best))
        print(f"  {len(results):3d} {name:<48} a {best[0]:6.3f}  b {best[1]:6.3f}  c {best[2]:6.3f}  "
              f"c/b {best[2] / best[1]:5.2f}", file=sys.stderr, flush=True)
        del model, calls
    return results, skipped


def report(title: str, results, skipped, worst: int) -> None:
    if not results:
        print(f"{title}: no model ran")
        return
    a, b, c = (sum(r[k] for r in results) for k in (1, 2, 3))
    print(f"\n{title}: {len(results)} models")
    print(f"  (a) bare meta forward      {a:8.2f} s")
    print(f"  (b) FlopCounterMode        {b:8.2f} s   b/a {b / a:5.2f}")
    print(f"  (c) cnnscope analyze       {c:8.2f} s   c/a {c / a:5.2f}")
    print(f"  ratio c/b                  {c / b:8.2f}")
    print(f"  worst ratios c/b:")
    for name, ra, rb, rc in sorted(results, key=lambda r: -r[3] / r[2])[:worst]:
        print(f"    {name:<48} c/b {rc / rb:5.2f}   (a {ra:.3f}  b {rb:.3f}  c {rc:.3f} s)")
    if skipped:
        print(f"  skipped ({len(skipped)}):")
        for name, reason in skipped:
            print(f"    {name}: {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", help="these names instead of the fixed list (zoo or timm:NAME)")
    parser.add_argument("--limit", type=int, help="only the first N models of the timm list (and of torchvision)")
    parser.add_argument("--step", type=int, default=9, help="every STEP-th timm name (default 9)")
    parser.add_argument("--count", type=int, default=150, help="timm models to run (default 150)")
    parser.add_argument("--repeats", type=int, default=1, help="timed rounds per model; the minimum counts")
    parser.add_argument("--no-torchvision", action="store_true", help="skip the torchvision classifiers")
    parser.add_argument("--worst", type=int, default=10, help="worst ratios to list")
    parser.add_argument("--wall", action="store_true", help="time wall seconds, not this process's CPU seconds")
    parser.add_argument("--profile", action="store_true", help="cProfile (c) and print the top functions")
    parser.add_argument("--profile-top", type=int, default=40)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter

    import torch  # noqa: F401  (imports are not timed)
    import cnnscope.zoo  # noqa: F401  (registers the timm: prefix)

    profiler = cProfile.Profile() if args.profile else None
    load = os.getloadavg()
    print(f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs; "
          f"torch {torch.__version__}; repeats {args.repeats}; clock {'wall' if args.wall else 'CPU'}")
    if args.models:
        groups = [("models", args.models, None)]
    else:
        count = args.count if args.limit is None else min(args.count, args.limit)
        groups = [(f"timm (every {args.step}th of timm.list_models(), sorted)", timm_names(args.step), count)]
        if not args.no_torchvision:
            tv = torchvision_names()
            groups.append(("torchvision classifiers", tv[:args.limit] if args.limit else tv, None))
    for title, names, count in groups:
        results, skipped = measure(names, count, args.repeats, profiler)
        report(title, results, skipped, args.worst)
    load = os.getloadavg()
    print(f"\nload after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.profile_top)
        stats.sort_stats("cumulative").print_stats("cnnscope", args.profile_top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
