"""``cnnscope diff A B``: two architectures aligned row by row, like a text diff, across model forms."""

from __future__ import annotations

from cnnscope.cli.common import add_input, add_output
from cnnscope.cli.output import emit, say
from cnnscope.i18n import _

FORMATS = ("text", "json", "md", "html")
SUFFIXES = {".txt": "text", ".json": "json", ".md": "md", ".html": "html"}  # -o's suffix -> format


def add_parser(subparsers) -> None:
    diff = subparsers.add_parser("diff", help=_("two architectures aligned row by row: rows added, removed, changed"))
    diff.add_argument("models", nargs="+", metavar="MODEL",
                      help=_("A and B: zoo names, timm:NAME, file.py:Name, specs or model files"))
    # One shape for both sides: a diff asks what differs in the architectures, at one input; where the
    # inputs differ anyway (each side's natural input) the header says so
    add_input(diff, _("C,H,W or N,C,H,W for both models (default: each one's own)"))
    diff.add_argument("--format", choices=FORMATS, default=None,
                      help=_("default: text, or what the suffix of -o names"))
    add_output(diff, _("diff.txt, .md, .json or .html (default: text on stdout)"))


def run(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.cli.common import input_shapes, output_format
    from cnnscope.errors import CnnscopeError, UsageError, prefixed
    from cnnscope.export.diff import render
    from cnnscope.studies.diff import diff_reports

    if len(args.models) != 2:
        raise UsageError(_("diff takes two models, A and B ({n} given); `cnnscope compare` sets more side by side").format(
                             n=len(args.models)))
    fmt = output_format(args, SUFFIXES, default="text")
    shapes = input_shapes(args)
    reports = []
    for side, model in zip("AB", args.models):
        try:
            reports.append(analyze(model, shapes))
        except CnnscopeError as error:
            raise prefixed(error, f"{side} ({model})") from error
    diff = diff_reports(*reports, *args.models)
    provenance = None
    if fmt != "text":
        from cnnscope.export.document import provenance as made_with

        provenance = made_with("meta (analysis)", args.input or "each model's own")
    emit(render(diff, fmt, provenance), args.output)
    if args.output and args.output != "-":
        say(_("wrote {output}").format(output=args.output))
    return 0
