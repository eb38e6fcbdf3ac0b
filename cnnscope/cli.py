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
        if len(shape) < 2 or any(s < 1 for s in shape):
            raise UsageError(f"--input {text!r}: expected positive sizes such as 3,224,224 or 1,3,224,224")
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
    summary.add_argument("model", help="a zoo name (see `cnnscope list`) or path/to/file.py:ClassOrFactory")
    summary.add_argument("--input", metavar="SHAPE", help="C,H,W or N,C,H,W (several inputs: separate with ';'); "
                         "default: the model's natural input")
    summary.add_argument("--depth", type=int, default=3, metavar="N",
                         help="show rows down to this nesting depth (default 3; 0 shows totals only)")
    summary.add_argument("--all", action="store_true", help="show every row, whatever the depth")
    summary.add_argument("--format", choices=FORMATS, default="table")
    summary.add_argument("--weights", metavar="FILE", help="a state_dict or checkpoint to check against the model "
                         "(loaded with weights_only=True)")
    summary.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
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
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import ShapeError
    from cnnscope.export import tabular, text

    shapes = parse_input_shape(args.input) if args.input else None
    depth = None if args.all else args.depth
    if args.weights:
        _check_weights(args.model, args.weights)
    try:
        report = analyze(args.model, shapes)
    except ShapeError as error:
        _print_partial(args.model, error)
        raise
    if args.format == "json":
        rendered = tabular.to_json(report) + "\n"
    elif args.format == "csv":
        rendered = tabular.to_csv(report, depth)
    elif args.format == "md":
        rendered = tabular.to_markdown(report, depth)
    else:
        rendered = text.summary_table(report, depth, width=_terminal_width())
    _emit(rendered, args.output)
    return 0


def _check_weights(source: str, path: str) -> None:
    from cnnscope.analysis.weights import check_state_dict, load_state_dict
    from cnnscope.zoo.sources import load_model

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


_COMMANDS = {"list": _cmd_list, "summary": _cmd_summary}


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
