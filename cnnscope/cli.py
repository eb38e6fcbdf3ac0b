"""The ``cnnscope`` command: parse, call the library, render.  Errors are one line.

Only argparse is imported at start-up so that ``cnnscope --help`` is instant; torch and the
renderers are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnscope._version import __version__

FORMATS = ("table", "json", "csv", "md")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"cnnscope: error: {message} (see `{self.prog} --help`)\n")


def parse_input_shape(text: str) -> list[tuple[int, ...]]:
    """``"1,3,224,224"``, ``"3x224x224"`` or several joined by ``;`` -> shapes."""
    from cnnscope.errors import UsageError

    shapes = []
    for part in text.replace(" ", "").split(";"):
        if not part:
            continue
        fields = part.replace("x", ",").replace("×", ",").split(",")
        try:
            shape = tuple(int(f) for f in fields)
        except ValueError:
            raise UsageError(f"--input {text!r}: expected integers such as 3,224,224 or 1,3,224,224") from None
        if any(s < 1 for s in shape):
            raise UsageError(f"--input {text!r}: sizes must be positive, e.g. 3,224,224 or 1,3,224,224")
        if len(shape) < 2:
            raise UsageError(f"--input {text!r}: a shape needs at least two numbers, e.g. 3,224,224 or 1,3,224,224")
        # Three numbers are C,H,W: add the batch dimension.
        shapes.append((1, *shape) if len(shape) == 3 else shape)
    if not shapes:
        raise UsageError("--input is empty: expected a shape such as 3,224,224")
    return shapes


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnnscope", description="See inside convolutional networks: shapes, parameters, "
                     "MACs, memory and receptive fields of any CNN.")
    parser.add_argument("--version", action="version", version=f"cnnscope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    listing = commands.add_parser("list", help="list the buildable models (wildcards such as 'resnet*')")
    listing.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: all)")
    listing.add_argument("--format", choices=("table", "json"), default="table")

    summary = commands.add_parser("summary", help="per-layer shapes, parameters, MACs and memory")
    summary.add_argument("model", help="a zoo name (see `cnnscope list`), path/to/file.py:ClassOrFactory, a "
                         ".yaml/.json spec, or a one-line spec such as 'in1x28x28,c5-6p2,tanh,ap2,flat,fc10'")
    summary.add_argument("--input", metavar="SHAPE", help="C,H,W or N,C,H,W (several inputs: separate with ';'); "
                         "default: the model's natural input")
    summary.add_argument("--depth", type=int, default=3, metavar="N",
                         help="show rows down to this nesting depth (default 3; 0 shows totals only)")
    summary.add_argument("--all", action="store_true", help="show every row, whatever the depth")
    summary.add_argument("--format", choices=FORMATS, default="table")
    summary.add_argument("--weights", metavar="FILE", help="a state_dict or checkpoint to check against the model "
                         "(loaded with weights_only=True)")
    summary.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    from cnnscope import cli_visual

    cli_visual.add_parsers(commands)

    from cnnscope import cli_compare

    cli_compare.add_parsers(commands, FORMATS)

    from cnnscope import cli_app, cli_train

    cli_train.add_parser(commands)
    cli_app.add_parser(commands)

    code = commands.add_parser("code", help="standalone PyTorch source for a spec file or one-line spec")
    code.add_argument("spec", help="a .yaml/.yml/.json spec file, or a one-line spec such as "
                      "'in1x28x28,c5-6p2,tanh,ap2,flat,fc10'")
    code.add_argument("--input", metavar="SHAPE", help="C,H,W overriding the spec's input")
    code.add_argument("-o", "--output", metavar="FILE", help="write the source to FILE (atomically)")

    rf = commands.add_parser("rf", help="receptive fields, with the recurrence written out; one unit's field "
                             "drawn on an image, theoretical beside effective")
    rf.add_argument("model", help="a zoo name, path/to/file.py:ClassOrFactory, or a spec")
    rf.add_argument("--layer", metavar="NAME", help="show the rows this layer depends on, and probe its units "
                    "(default for --image/--empirical: the last feature map)")
    rf.add_argument("--input", metavar="SHAPE", help="C,H,W or N,C,H,W (default: the model's natural input)")
    rf.add_argument("--format", choices=FORMATS, default="table")
    rf.add_argument("--image", metavar="IMG", help="a PNG/JPEG to draw the field on (resized to the input)")
    rf.add_argument("--unit", metavar="Y,X", help="the output unit to probe (default: the centre unit)")
    rf.add_argument("--empirical", action="store_true", help="also measure the effective receptive field: "
                    "|∂unit/∂input| averaged over inputs, and the squares holding 50/90/99%% of it")
    rf.add_argument("--weights", metavar="FILE", help="weights for the effective field (weights_only=True); "
                    "default: random initialisation")
    rf.add_argument("--samples", type=int, default=16, metavar="N", help="random inputs to average over "
                    "without --image (default 16)")
    rf.add_argument("--seed", type=int, default=0, help="seed of the random weights and inputs (default 0)")
    rf.add_argument("-o", "--output", metavar="FILE", help=".png draws the unit's field; .json/.csv/.md/.txt "
                    "write the table")
    return parser


def _emit(text: str, output: str | None) -> None:
    if output:
        from cnnscope.export.files import write_text_atomic

        write_text_atomic(output, text)
    else:
        sys.stdout.write(text)


def _cmd_list(args) -> int:
    import json

    from cnnscope.zoo import list_entries

    entries = list_entries(args.pattern)
    if not entries:
        from cnnscope.errors import ModelNotFoundError

        raise ModelNotFoundError(f"no model matches {args.pattern!r}")
    if args.format == "json":
        data = [{"name": e.name, "group": e.group, "input_shape": list(e.input_shape), "description": e.description}
                for e in entries]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    for group, title in (("tutorial", "Tutorial nets"), ("torchvision", "torchvision classification models")):
        members = [e for e in entries if e.group == group]
        if not members:
            continue
        sys.stdout.write(f"{title} ({len(members)}):\n")
        for entry in members:
            shape = "×".join(map(str, entry.input_shape))
            sys.stdout.write(f"  {entry.name:<22} {shape:<12} {entry.description}\n")
    return 0


def _cmd_summary(args) -> int:
    from cnnscope import cache

    shapes = parse_input_shape(args.input) if args.input else None
    depth = None if args.all else args.depth
    key = [list(s) for s in shapes] if shapes else None
    cached = None
    if not args.weights and cache.looks_like_zoo_name(args.model):
        cached = cache.load(args.model, key)
    if cached is not None:
        from cnnscope.report import ModelReport

        report = ModelReport.from_dict(cached)
    else:
        report = _analyze_for_summary(args, shapes)
        if not args.weights and _is_zoo(args.model):
            cache.store(args.model, key, report.to_dict())
    _emit(_render_summary(report, args.format, depth), args.output)
    return 0


def _analyze_for_summary(args, shapes):
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import ShapeError

    if args.weights:
        _check_weights(args.model, args.weights)
    try:
        return analyze(args.model, shapes)
    except ShapeError as error:
        if args.format == "table" and not args.output:  # never mix a table into JSON/CSV or a file
            _print_partial(args.model, error)
        raise


def _is_zoo(source: str) -> bool:
    from cnnscope.zoo.registry import list_models

    return source in list_models()


def _render_summary(report, fmt: str, depth) -> str:
    from cnnscope.export import tabular, text

    if fmt == "json":
        return tabular.to_json(report) + "\n"
    if fmt == "csv":
        return tabular.to_csv(report, depth)
    if fmt == "md":
        return tabular.to_markdown(report, depth)
    return text.summary_table(report, depth, width=_terminal_width())


def _check_weights(source: str, path: str) -> None:
    from cnnscope.probes.weights import check_state_dict, load_state_dict
    from cnnscope.sources import load_model

    state = load_state_dict(path)
    check_state_dict(load_model(source, device="meta").module, state, source=path)


def _print_partial(source: str, error) -> None:
    """The rows traced before a shape failure, so the user sees where the shapes went."""
    from cnnscope.analysis.analyze import partial_report
    from cnnscope.export.text import partial_table

    tracer = getattr(error, "partial", None)
    if tracer is None:
        return
    rows = partial_report(error, tracer.model, source)
    if any(r.depth >= 1 for r in rows):
        sys.stdout.write(partial_table(f"{source}: rows traced before the failure", rows, _terminal_width()))


def _terminal_width() -> int:
    try:
        return max(os.get_terminal_size().columns, 100)
    except OSError:
        return 120


def _cmd_code(args) -> int:
    from cnnscope.errors import UsageError
    from cnnscope.spec.codegen import generate_code
    from cnnscope.spec.compact import looks_compact
    from cnnscope.spec.load import is_spec_file

    if not (is_spec_file(args.spec) or looks_compact(args.spec)):
        raise UsageError(f"{args.spec!r} is not a spec: give a .yaml/.yml/.json file or a one-line spec")
    chw = None
    if args.input:
        shape = parse_input_shape(args.input)[0]
        chw = shape[1:] if len(shape) == 4 else shape
    _emit(generate_code(args.spec, input_shape=chw), args.output)
    return 0


def _parse_unit(text: str | None):
    if text is None:
        return None
    from cnnscope.errors import UsageError

    try:
        return tuple(int(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise UsageError(f"--unit {text!r}: expected integers such as 7,7") from None


def _cmd_rf(args) -> int:
    from pathlib import Path

    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import UsageError
    from cnnscope.export import rf_table

    shapes = parse_input_shape(args.input) if args.input else None
    report = analyze(args.model, shapes)
    if args.layer:
        try:
            report.layer(args.layer)
        except KeyError:
            import difflib

            close = difflib.get_close_matches(args.layer, [r.name for r in report.layers], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no layer named {args.layer!r} in {report.model}{hint}") from None
    suffix = Path(args.output).suffix.lower() if args.output else ""
    picture = suffix in (".png", ".jpg", ".jpeg")
    if args.output and not picture and suffix not in (".json", ".csv", ".md", ".txt"):
        raise UsageError(f"-o {args.output}: use .png for the picture, or .json/.csv/.md/.txt for the table")
    if args.samples < 1:
        raise UsageError("--samples must be at least 1")
    unit_field = None
    if args.image or args.empirical or picture:
        unit_field, image = _probe_unit(args, report)
    rows = rf_table.rf_rows(report, args.layer or (unit_field.layer if unit_field else None))
    fmt = {".json": "json", ".csv": "csv", ".md": "md", ".txt": "table"}.get(suffix, args.format)
    extra = {"unit": unit_field.summary()} if unit_field else None
    if fmt == "json":
        rendered = rf_table.to_json(report, rows, extra) + "\n"
    elif fmt == "csv":
        rendered = rf_table.to_csv(report, rows)
    elif fmt == "md":
        rendered = rf_table.to_markdown(report, rows)
    else:
        rendered = rf_table.to_text(report, rows, width=max(_terminal_width(), 140))
    if unit_field and fmt != "json":
        rendered += _unit_line(unit_field) + "\n"
    if picture:
        from cnnscope.export.files import write_bytes_atomic
        from cnnscope.vis import rf_overlay

        title = (f"{report.model} · {unit_field.layer} · unit {','.join(map(str, unit_field.unit))} · "
                 f"field {'×'.join(str(v) for v in unit_field.size)}")
        canvas = rf_overlay.draw(image, unit_field.box, unit_field.gradient, unit_field.squares, title,
                                 unit_field.centre)
        buffer = __import__("io").BytesIO()
        canvas.save(buffer, format="PNG" if suffix == ".png" else "JPEG")
        write_bytes_atomic(args.output, buffer.getvalue())
        sys.stdout.write(rendered)
    else:
        _emit(rendered, args.output)
    return 0


def _unit_line(field) -> str:
    size = "×".join(str(v) for v in field.size)
    top, left, bottom, right = field.box if len(field.box) == 4 else (*field.box, 0, 0)[:4]
    line = (f"unit {','.join(map(str, field.unit))} of {field.layer} (grid {'×'.join(map(str, field.grid))}): "
            f"theoretical field {size}, rows {top}..{bottom}, columns {left}..{right}")
    if field.squares:
        line += "; effective field squares " + ", ".join(f"{k} {v}" for k, v in field.squares.items())
    return line


def _probe_unit(args, report):
    """Real weights (random or --weights), inputs (the image or random noise), one unit's fields."""
    import torch

    from cnnscope.probes.effective_field import default_layer, probe
    from cnnscope.probes.weights import check_state_dict, load_state_dict
    from cnnscope.errors import UsageError
    from cnnscope.vis.images import open_image, to_input
    from cnnscope.sources import load_model

    shape = report.input_shape if isinstance(report.input_shape[0], int) else report.input_shape[0]
    if len(shape) != 4:
        raise UsageError("drawing a field needs an image model with an N,C,H,W input")
    torch.manual_seed(args.seed)
    loaded = load_model(args.model, device="cpu")
    model = loaded.module
    if args.weights:
        state = load_state_dict(args.weights)
        check_state_dict(model, state, source=args.weights)
        model.load_state_dict(state)
    _, channels, height, width = shape
    if args.image:
        mean, std = loaded.normalization or (None, None)
        inputs, image = to_input(open_image(args.image), channels, (height, width), mean, std)
    else:
        generator = torch.Generator().manual_seed(args.seed)
        inputs = torch.randn((args.samples, channels, height, width), generator=generator)
        from PIL import Image

        image = Image.new("RGB", (width, height), (128, 128, 128))
    layer = args.layer or default_layer(report)
    with _status(f"measuring the effective field of {layer}"):
        field = probe(model, report, layer, inputs, _parse_unit(args.unit), empirical=True)
    return field, image


def _status(message: str):
    """A spinner on stderr while slow work runs (nothing when stderr is not a terminal)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def _lazy(module: str, name: str):
    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(f"cnnscope.{module}"), f"run_{name}" if name else "run")(args)

    return run


_COMMANDS = {"list": _cmd_list, "summary": _cmd_summary, "rf": _cmd_rf, "code": _cmd_code,
             "filters": _lazy("cli_visual", "filters"), "features": _lazy("cli_visual", "features"),
             "graph": _lazy("cli_visual", "graph"), "compare": _lazy("cli_compare", "compare"),
             "kernels": _lazy("cli_compare", "kernels"), "app": _lazy("cli_app", "app"),
             "train": _lazy("cli_train", "")}


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from cnnscope.errors import CnnscopeError

    try:
        return _COMMANDS[args.command](args)
    except CnnscopeError as error:
        if os.environ.get("CNNSCOPE_DEBUG") == "1":
            raise
        sys.stdout.flush()
        sys.stderr.write(f"cnnscope: error: {error}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("cnnscope: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - a bug: still one line unless debugging
        if os.environ.get("CNNSCOPE_DEBUG") == "1":
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        sys.stderr.write(f"cnnscope: internal error: {type(error).__name__}: {first} "
                         "(run with CNNSCOPE_DEBUG=1 for the traceback, and please report it)\n")
        return 70
