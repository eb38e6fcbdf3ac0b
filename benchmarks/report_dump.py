"""Dump every zoo model's report (per-row shapes, parameters, MACs, memory, receptive fields,
diagnostics) to JSON, or diff two dumps: the check that a refactor changed no number.

    python benchmarks/report_dump.py dump new.json             # in this checkout
    (cd /tmp/old && PYTHONPATH=. python /path/to/report_dump.py dump old.json)   # an older checkout
    python benchmarks/report_dump.py diff old.json new.json
"""

from __future__ import annotations

import json
import sys


def _field(rf):
    if rf is None:
        return None
    data = rf if isinstance(rf, dict) else rf.to_dict()  # schema 1 had dicts
    return {k: data.get(k) for k in ("size", "jump", "start", "global")}


def dump(path: str) -> None:
    import cnnscope

    out = {}
    for name in cnnscope.list_models():
        try:
            report = cnnscope.analyze(name)
        except Exception as exc:  # noqa: BLE001 - a model that fails is itself a result
            out[name] = repr(exc)
            continue
        rows = [[r.name, r.call, r.output_shape, r.params, r.macs, r.other_ops, r.output_bytes, _field(r.rf),
                 r.kernel_size, r.stride, r.padding] for r in report.layers]
        out[name] = {"totals": vars(report.totals), "rows": rows,
                     "diagnostics": sorted(f"{d.code}|{d.layer or ''}" for d in report.diagnostics)}
    with open(path, "w") as f:
        json.dump(out, f)


def diff(old_path: str, new_path: str) -> int:
    old, new = json.load(open(old_path)), json.load(open(new_path))
    changed = 0
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if isinstance(a, dict) and isinstance(b, dict):
            shared = set(a["totals"]) & set(b["totals"])  # fields added later are not a change
            totals_differ = any(a["totals"][k] != b["totals"][k] for k in shared)
            if totals_differ:
                print(f"{name}: totals differ")
            rows = [(x, y) for x, y in zip(a["rows"], b["rows"]) if x != y]
            if len(a["rows"]) != len(b["rows"]):
                print(f"{name}: {len(a['rows'])} rows -> {len(b['rows'])}")
            for x, y in rows:
                print(f"{name}: {x[0]}: {x[2:]} -> {y[2:]}")
            if a["diagnostics"] != b["diagnostics"]:
                print(f"{name}: diagnostics {sorted(set(a['diagnostics']) ^ set(b['diagnostics']))}")
            changed += bool(rows) or totals_differ or len(a["rows"]) != len(b["rows"])
        elif a != b:
            print(f"{name}: {str(a)[:80]} -> {str(b)[:80]}")
            changed += 1
    print(f"{len(set(old) | set(new))} models, {changed} with a changed number")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "diff":
        sys.exit(diff(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
