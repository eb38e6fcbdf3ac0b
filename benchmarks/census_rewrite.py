"""What one rewrite of a census file costs, per format, as the census grows: ``cnnscope census -o FILE``
rewrites the whole file (one rename) as rows finish, at most every 0.5 s (``export.census_file.LiveFile``).

Method
------
* Rows: ``census_row("resnet18")``'s row copied under new names (a timm census has about 1,400 models),
  every column filled, so each row is as large as a real one.
* One rewrite, as ``LiveFile`` makes it: encode every (already typed) row, write a temporary file beside
  the target, ``os.replace`` it -- timed with ``time.perf_counter``, median of ``--repeat`` runs after one warm-up,
  into a temporary folder on the same disk as the checkout's.
* The cost a census pays: a rewrite at most every 0.5 s, or every 20 rewrite-times when that is longer;
  the column "share of 0.5 s" is one rewrite's time over 0.5 s (what the main process would spend
  writing while the workers analyse, before the 20× rule caps it at 5 %).

Usage::

    python benchmarks/census_rewrite.py [--rows 100 1400] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMATS = ("parquet", "csv", "json", "html")
INTERVAL_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1400])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from cnnscope.export import census_file
    from cnnscope.files import write_bytes_atomic
    from cnnscope.studies.census import census_row
    from cnnscope.studies.census.columns import conform

    row = census_row("resnet18")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} "
          f"(1-minute average at the start)")
    print("| rows | format | file size | one rewrite (median) | share of 0.5 s |")
    print("|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(dir=ROOT) as folder:
        for count in args.rows:
            rows = [conform(dict(row, name=f"model_{k}")) for k in range(count)]
            for fmt in FORMATS:
                path = Path(folder) / f"zoo.{fmt}"
                census_file.write(path, rows)  # warm-up: imports, the explorer's assets
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    write_bytes_atomic(path, census_file.encode(rows, fmt, conformed=True))
                    times.append(time.perf_counter() - start)
                median = statistics.median(times)
                print(f"| {count:,} | {fmt} | {path.stat().st_size / 1e3:,.0f} kB | {median * 1e3:.1f} ms | "
                      f"{100 * median / INTERVAL_S:.1f}% |")
    print(f"load {os.getloadavg()[0]:.2f} (1-minute average at the end)")


if __name__ == "__main__":
    main()
