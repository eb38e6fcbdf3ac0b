"""Training speed: ``quick_train`` against the tutorial loop, in the same process and run.

Method
------
* **The reference** is the loop of the PyTorch tutorials: a ``DataLoader`` over a
  ``TensorDataset`` (``shuffle=True``), ``loss.item()`` after every step, the default
  (for-loop) ``torch.optim.Adam``, and a validation pass per epoch in the same style
  (``DataLoader``, ``.item()`` per batch).
* **Same work on both sides**: the same initial weights (one seeded init, deep-copied), the same
  already-adapted tensors (digits resized once to the model's input), batch size, epochs,
  optimizer (Adam, lr 1e-3) and a validation pass per epoch.
* ``quick_train`` runs twice: bare, and with a rich progress bar drawing to an in-memory
  terminal at full speed (the CLI's callback), to show what reporting costs.
* The variants are **interleaved** (repeat 1 of every variant, then repeat 2, ...) after one
  untimed warm-up round, so that drift of this shared machine hits all of them alike; the
  report gives medians of images/s = training images × epochs / wall time of the whole call.
* Like ``cnnscope train``, this script sets ``OMP_WAIT_POLICY=PASSIVE`` (unless set) before
  torch loads libgomp; both loops run under it.
* **Time to accuracy**: ``cnnscope train lenet5 --dataset digits`` as a fresh process
  (interpreter start, imports, data, training, files), timed around ``subprocess.run``; the
  validation accuracy comes from the ``history.json`` it wrote.

``--threads 1`` takes the OpenMP thread pool out of the in-process comparison: on a shared,
busy machine a parallel region waits for its slowest thread, which makes two-thread timings
swing by 10× (see docs/benchmarks.md).

Configs: ``lenet5`` (compute-bound: 28×28 inputs, batch 64) and ``tiny`` (a one-conv spec on the
raw 8×8 digits, batch 32: loop overhead dominates).  With ``--device cuda`` (when a GPU is
present) the GPU configs run instead: ``lenet5-mnist`` (LeNet-5 on 60,000 28×28 images, digits
resized and tiled to MNIST's size; LeNet-5's Linear fixes its input at 28×28), ``resnet18-32``
and ``resnet18-224`` (ResNet-18 on digits resized to 3×32×32 and 3×224×224), with the variants
quick_train's CUDA defaults (resident data, losses read every 50 steps, bf16 autocast where
supported, channels_last), then without bf16 / channels_last, and ``+compile``.  Goal: ≥ 2× the
tutorial loop's images/s.

**Versus a plain loop, whole process** (``--versus-plain``, CPU): ``cnnscope train lenet5
--epochs 5`` (batch 32, everything it writes included) against ``benchmarks/plain_loop.py``
(the same data, model, initial weights, batch size and epochs in a plain hand-written loop that
writes nothing), both as fresh processes under ``OMP_WAIT_POLICY=PASSIVE``, interleaved, with
the 1-minute load before each run.  Target: ≤ 1.0× the plain loop's wall time, same final
validation accuracy within 1 point.

Usage::

    python benchmarks/train.py [--repeats 7] [--device cpu|cuda] [--skip-process] [--json out.json]
    python benchmarks/train.py --versus-plain 5 --skip-loops      # CPU, whole process
    python benchmarks/train.py --device cuda --skip-process       # GPU (prepared; see docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `cnnscope train` does; before torch loads libgomp

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from cnnscope.train import TrainData, quick_train  # noqa: E402
from cnnscope.train.adapt import prepare_data  # noqa: E402
from cnnscope.train.datasets import load_digits  # noqa: E402
from cnnscope.sources import load_model  # noqa: E402

CONFIGS = {  # name: (model source, batch size, epochs)
    "lenet5": ("lenet5", 64, 3),
    "tiny": ("in1x8x8,c3-8,relu,flat,fc10", 32, 3),
    "lenet5-mnist": ("lenet5", 64, 1),
    "resnet18-32": ("resnet18", 128, 2),
    "resnet18-224": ("resnet18", 64, 1),
}
SHAPES = {"resnet18-32": (3, 32, 32), "resnet18-224": (3, 224, 224)}  # digits resized to these
GPU_CONFIGS = ["lenet5-mnist", "resnet18-32", "resnet18-224"]


def tutorial_loop(model, data: TrainData, batch_size: int, epochs: int, device: torch.device) -> None:
    """The reference, as the tutorials write it."""
    model.to(device)
    # data too large to adapt up front (resnet18-224: 1 GiB of float32) stays uint8 and is
    # adapted per batch on the device, as quick_train does; a tutorial would do it in its Dataset
    adapt = data.transform or (lambda t: t)
    loader = DataLoader(TensorDataset(data.x, data.y), batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(data.x_val, data.y_val), batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        model.train()
        running = 0.0
        for xb, yb in loader:
            xb, yb = adapt(xb.to(device)), yb.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            running += loss.item()
        model.eval()
        val_loss, correct = 0.0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                xb, yb = adapt(xb.to(device)), yb.to(device)
                out = model(xb)
                val_loss += F.cross_entropy(out, yb, reduction="sum").item()
                correct += (out.argmax(1) == yb).sum().item()


class RichBar:
    """The CLI's own progress reporter (``cli.progress.RichProgress``: a rich bar refreshed ≤ 10×/s),
    drawing into an in-memory terminal, plus its per-epoch line."""

    def __init__(self, epochs: int):
        from rich.console import Console

        from cnnscope.cli.progress import RichProgress

        self.reporter = RichProgress(epochs, console=Console(file=io.StringIO(), force_terminal=True, width=120))

    def __enter__(self):
        return self.reporter.__enter__()

    def __exit__(self, *exc):
        return self.reporter.__exit__(*exc)


def build_data(name: str, source_shape) -> TrainData:
    digits = load_digits()
    data = prepare_data(digits, source_shape, val_split=0.2, seed=0)
    if name == "lenet5-mnist":  # MNIST-sized: 60,000 training and 12,000 validation images
        reps = -(-60_000 // len(data.y))
        data = TrainData(data.x.repeat(reps, 1, 1, 1)[:60_000], data.y.repeat(reps)[:60_000],
                         data.x_val.repeat(34, 1, 1, 1)[:12_000], data.y_val.repeat(34)[:12_000],
                         classes=data.classes)
    return data


def variants(device: torch.device, gpu: bool):
    """quick_train's defaults, the CLI's progress bar on top, and each speed option on its own."""
    base = {"reference": None, "quick_train": {}, "quick_train+rich": {"progress": True}}
    if gpu:  # the defaults there: bf16 autocast (where supported) and channels_last
        base.update({"quick_train, amp off": {"amp": None},
                     "quick_train, channels_last off": {"channels_last": False},
                     "quick_train, fp32 NCHW": {"amp": None, "channels_last": False},
                     "quick_train+compile": {"compile": True}})
    else:  # channels_last is off by default on the CPU: show the loop with it
        base["quick_train+channels_last"] = {"channels_last": True}
    return base


def run_variant(kind, options, init, data, batch_size, epochs, device):
    model = copy.deepcopy(init)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    if options is None:
        tutorial_loop(model, data, batch_size, epochs, device)
    else:
        options = dict(options)
        if options.pop("progress", False):
            with RichBar(epochs) as bar:
                quick_train(model, data, epochs=epochs, batch_size=batch_size, lr=1e-3, optimizer="adam", seed=0,
                            device=device, on_step=bar.step, on_epoch=bar.epoch, **{"amp": "auto", **options})
        else:
            quick_train(model, data, epochs=epochs, batch_size=batch_size, lr=1e-3, optimizer="adam", seed=0,
                        device=device, **{"amp": "auto", **options})
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def bench_loops(names, repeats: int, device: torch.device) -> dict:
    results = {}
    for name in names:
        source, batch_size, epochs = CONFIGS[name]
        torch.manual_seed(0)
        loaded = load_model(source, device="cpu")
        data = build_data(name, SHAPES.get(name, loaded.input_shape))
        images = len(data.y) * epochs
        kinds = variants(device, device.type == "cuda")
        walls = {k: [] for k in kinds}
        for round_ in range(repeats + 1):  # round 0 warms up
            for kind, options in kinds.items():
                wall = run_variant(kind, options, loaded.module, data, batch_size, epochs, device)
                if round_:
                    walls[kind].append(wall)
        rates = {k: [images / w for w in v] for k, v in walls.items()}
        ref = statistics.median(rates["reference"])
        results[name] = {
            "model": source, "batch_size": batch_size, "epochs": epochs, "train_images": len(data.y),
            "images_per_s": {k: round(statistics.median(v)) for k, v in rates.items()},
            "spread": {k: [round(min(v)), round(max(v))] for k, v in rates.items()},
            "ratio_to_reference": {k: round(statistics.median(v) / ref, 3) for k, v in rates.items()},
        }
        print_loop_result(name, results[name], repeats)
    return results


def print_loop_result(name, result, repeats):
    print(f"\n{name}: {result['model']}, {result['train_images']} training images, batch {result['batch_size']}, "
          f"{result['epochs']} epochs, median of {repeats} interleaved repeats")
    print(f"  {'variant':<34}{'images/s':>10}{'min..max':>18}{'× reference':>13}")
    for kind, rate in result["images_per_s"].items():
        low, high = result["spread"][kind]
        print(f"  {kind:<34}{rate:>10,}{f'{low:,}..{high:,}':>18}{result['ratio_to_reference'][kind]:>13.2f}")


def train_command(out: str, extra: list[str]) -> list[str]:
    """``cnnscope train ...`` as a process (``python -m cnnscope``, whichever script is on PATH)."""
    return [sys.executable, "-m", "cnnscope", "train", "lenet5", "--dataset", "digits", "--out", out, *extra]


PROCESS_VARIANTS = {  # name: (extra arguments, environment overrides)
    "default": ([], {}),
    "OMP_WAIT_POLICY=ACTIVE": ([], {"OMP_WAIT_POLICY": "ACTIVE"}),
    "--threads 1": (["--threads", "1"], {}),
}


def bench_process(repeats: int) -> dict:
    results = {name: {"runs": []} for name in PROCESS_VARIANTS}
    for _ in range(repeats):
        for name, (extra, env) in PROCESS_VARIANTS.items():
            with tempfile.TemporaryDirectory() as folder:
                out = os.path.join(folder, "run")
                command = train_command(out, extra)
                load = os.getloadavg()[0]
                started = time.perf_counter()
                environment = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
                done = subprocess.run(command, capture_output=True, text=True, env={**environment, **env})
                wall = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"cnnscope train failed: {done.stderr.strip()}")
                with open(os.path.join(out, "history.json")) as stream:
                    history = json.load(stream)
            epochs = history["epochs"]
            first = next((e for e in epochs if e["val_acc"] >= 0.95), None)
            run = {"wall_s": round(wall, 2), "final_val_acc": epochs[-1]["val_acc"],
                   "first_epoch_at_95": first["epoch"] if first else None,
                   "training_s": round(sum(e["seconds"] for e in epochs), 2), "load_1min_before": round(load, 2)}
            results[name]["runs"].append(run)
            results[name]["command"] = " ".join([*(f"{k}={v}" for k, v in env.items()), "cnnscope",
                                                 *command[command.index("train"):]]).replace(out, "DIR")
            print(f"  {name:<24} {wall:6.1f} s wall, final val acc {run['final_val_acc']:.1%}, ≥95% first at epoch "
                  f"{run['first_epoch_at_95']}, epochs took {run['training_s']} s, load before {load:.2f}")
    for name, result in results.items():
        walls = [r["wall_s"] for r in result["runs"]]
        result.update(median_wall_s=statistics.median(walls), max_wall_s=max(walls),
                      all_reached_95=all(r["final_val_acc"] >= 0.95 for r in result["runs"]))
        print(f"  {name}: median {result['median_wall_s']} s, max {result['max_wall_s']} s; {result['command']}")
    return results


def bench_versus_plain(repeats: int, epochs: int = 5, batch_size: int = 32) -> dict:
    """cnnscope train against benchmarks/plain_loop.py, whole processes, interleaved."""
    here = os.path.dirname(os.path.abspath(__file__))
    environment = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    sides = {"cnnscope train": None, "plain loop": [sys.executable, os.path.join(here, "plain_loop.py"),
                                                    "--epochs", str(epochs), "--batch-size", str(batch_size)]}
    runs = {side: [] for side in sides}
    for repeat in range(repeats):
        order = list(sides) if repeat % 2 == 0 else list(sides)[::-1]  # alternate who goes first
        for side in order:
            with tempfile.TemporaryDirectory() as folder:
                out = os.path.join(folder, "run")
                command = sides[side] or train_command(out, ["--epochs", str(epochs), "--batch-size", str(batch_size)])
                load = os.getloadavg()[0]
                uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, env=environment)
                wall = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"{side} failed: {done.stderr.strip()[-500:]}")
                if sides[side] is None:
                    with open(os.path.join(out, "history.json")) as stream:
                        accuracy = json.load(stream)["epochs"][-1]["val_acc"]
                else:
                    accuracy = float(done.stdout.rsplit("final_val_acc=", 1)[1])
            runs[side].append({"wall_s": round(wall, 2), "final_val_acc": round(accuracy, 4),
                               "load_1min_before": round(load, 2), "uptime_before": uptime})
            print(f"  {side:<15} {wall:6.2f} s  final val acc {accuracy:.2%}  load before {load:.2f}")
    medians = {side: statistics.median(r["wall_s"] for r in rs) for side, rs in runs.items()}
    result = {"epochs": epochs, "batch_size": batch_size, "repeats": repeats, "runs": runs,
              "median_wall_s": medians, "ratio": round(medians["cnnscope train"] / medians["plain loop"], 3),
              "accuracy_gap_points": round(100 * abs(runs["cnnscope train"][-1]["final_val_acc"]
                                                     - runs["plain loop"][-1]["final_val_acc"]), 2),
              "commands": {"cnnscope train": " ".join(["OMP_WAIT_POLICY=PASSIVE cnnscope train lenet5 --epochs",
                                                       str(epochs), "--batch-size", str(batch_size), "--out DIR"]),
                           "plain loop": f"OMP_WAIT_POLICY=PASSIVE python benchmarks/plain_loop.py --epochs {epochs} "
                                         f"--batch-size {batch_size}"}}
    print(f"  median: cnnscope {medians['cnnscope train']:.2f} s, plain {medians['plain loop']:.2f} s, "
          f"ratio {result['ratio']:.2f}×, final accuracy gap {result['accuracy_gap_points']} points")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--process-repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--configs", default=None, help="comma-separated: " + ", ".join(CONFIGS))
    parser.add_argument("--threads", type=int, help="torch.set_num_threads for the in-process loops")
    parser.add_argument("--skip-process", action="store_true", help="skip the whole-process time to 95%%")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--versus-plain", type=int, metavar="REPEATS", default=0,
                        help="also time cnnscope train against benchmarks/plain_loop.py, whole processes")
    parser.add_argument("--skip-loops", action="store_true", help="skip the in-process loop comparison")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.configs.split(",") if args.configs else (
        GPU_CONFIGS if device.type == "cuda" else ["lenet5", "tiny"])
    machine = {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
               "cpu_count": os.cpu_count(), "load_average_start": [round(v, 2) for v in os.getloadavg()],
               "device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or "cpu"}
    print(json.dumps(machine))
    report = {"machine": machine}
    if not args.skip_loops:
        report["loops"] = bench_loops(names, args.repeats, device)
    if args.versus_plain:
        print(f"\nwhole process, lenet5 on digits, 5 epochs: cnnscope train vs a plain loop "
              f"(OMP_WAIT_POLICY=PASSIVE, {args.versus_plain} interleaved repeats):")
        report["versus_plain"] = bench_versus_plain(args.versus_plain)
    if not args.skip_process:
        print("\ntime to 95% validation accuracy, lenet5 on digits, whole process:")
        report["process"] = bench_process(args.process_repeats)
    report["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(report, stream, indent=1)


if __name__ == "__main__":
    main()
