"""``cnnscope summary vgg16.onnx`` (about 550 MB with its weights) against ``onnx.load`` of the same file.

Target (issue 24): the summary costs at most the import floor plus 1.5 × the time ``onnx.load`` takes.

Method
------
* VGG-16 (torchvision, random weights) is exported once with ``torch.onnx.export(..., dynamo=False)`` into
  a temporary folder; one untimed warm-up of every command fills the page cache.
* ``onnx.load`` is timed inside one process around the call alone (``import onnx`` excluded), the median
  of ``--repeats`` processes; its peak RSS is that process's.
* ``cnnscope summary`` runs as a fresh process with the report cache off (``CNNSCOPE_CACHE=0``): wall time
  around ``Popen`` ... ``wait4`` and the child's own peak RSS, the median of ``--repeats``.
* Floors, fresh processes too: ``import cnnscope.cli.main`` (the CLI's own), ``import torch, torchvision``
  (summary_speed.py's floor for torch-based tools) and ``import torch, onnx`` (what the ONNX path imports:
  the analysis core is torch-based, and onnx's protobuf and shape inference).
* Commands are interleaved round by round, so drift hits all alike.

Usage::

    python benchmarks/onnx_summary.py [--repeats 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable
LOAD = ("import sys, time, onnx\n"
        "t = time.perf_counter(); m = onnx.load(sys.argv[1]); t = time.perf_counter() - t\n"
        "print(t)\n")


def run_measured(argv, env=None) -> tuple[float, float, str]:
    """(wall seconds, the child's own peak RSS in MB, stdout) of one fresh process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        child = subprocess.Popen(argv, stdout=out_file, stderr=err_file, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        if status:
            raise SystemExit(f"{' '.join(argv)} failed: {err_file.read().decode()[-400:]}")
        return wall, usage.ru_maxrss / 1024, out_file.read().decode()


def export_vgg16(folder: str) -> str:
    path = os.path.join(folder, "vgg16.onnx")
    if not os.path.exists(path):
        script = ("import torch, torchvision, warnings, sys\nwarnings.simplefilter('ignore')\n"
                  "m = torchvision.models.vgg16().eval()\n"
                  "torch.onnx.export(m, (torch.zeros(1, 3, 224, 224),), sys.argv[1], dynamo=False, opset_version=17)\n")
        subprocess.run([PY, "-c", script, path], check=True, stderr=subprocess.DEVNULL)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="export into DIR and keep the file (default: a temp dir)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="cnnscope-onnx-bench-")
    os.makedirs(folder, exist_ok=True)
    path = export_vgg16(folder)
    env = {**os.environ, "CNNSCOPE_CACHE": "0"}
    commands = {
        "onnx.load (the call)": [PY, "-c", LOAD, path],
        "cnnscope summary vgg16.onnx": [PY, "-m", "cnnscope", "summary", path],
        "floor: import cnnscope.cli.main": [PY, "-c", "import cnnscope.cli.main"],
        "floor: import torch, torchvision": [PY, "-c", "import torch, torchvision"],
        "floor: import torch, onnx": [PY, "-c", "import torch, onnx"],
    }
    walls = {k: [] for k in commands}
    peaks = {k: [] for k in commands}
    calls = []
    for round_ in range(args.repeats + 1):  # round 0 warms the page cache
        for key, argv in commands.items():
            wall, peak, out = run_measured(argv, env)
            if round_:
                walls[key].append(wall)
                peaks[key].append(peak)
                if key.startswith("onnx.load"):
                    calls.append(float(out.strip()))
    size = os.path.getsize(path) / 1e6
    print(f"file: {path} ({size:,.0f} MB), python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"median of {args.repeats}")
    print(f"{'command':36} {'wall s':>8} {'peak RSS MB':>12}")
    for key in commands:
        print(f"{key:36} {statistics.median(walls[key]):8.2f} {statistics.median(peaks[key]):12.0f}")
    load = statistics.median(calls)
    summary = statistics.median(walls["cnnscope summary vgg16.onnx"])
    print(f"onnx.load call alone: {load:.3f} s (median)")
    for floor_key in ("floor: import cnnscope.cli.main", "floor: import torch, torchvision", "floor: import torch, onnx"):
        floor = statistics.median(walls[floor_key])
        limit = floor + 1.5 * load
        print(f"target with {floor_key[7:]:26}: {floor:.2f} + 1.5 × {load:.2f} = {limit:.2f} s; summary {summary:.2f} s "
              f"-> {'met' if summary <= limit else 'NOT met'}")


if __name__ == "__main__":
    main()
