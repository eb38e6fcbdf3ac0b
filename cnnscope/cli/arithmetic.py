"""``cnnscope explain --arithmetic``: convolution arithmetic, one output cell at a time, as text, an animated
GIF or an HTML player (cnnscope.studies.arithmetic, drawn by cnnscope.vis.conv_animation).

The ``explain`` command owns the parser and ``-o/--output``; it adds these options with
:func:`add_arguments` and calls :func:`run` when ``--arithmetic`` is given.
"""

from __future__ import annotations

from pathlib import PurePath

from cnnscope.cli.output import say
from cnnscope.i18n import _

SUFFIXES = (".gif", ".html")


def add_arguments(parser) -> None:
    group = parser.add_argument_group("convolution arithmetic (--arithmetic)")
    group.add_argument("--arithmetic", action="store_true",
                       help=_("no model: animate a square convolution's kernel sliding over its padded input, one "
                              "frame per output cell, with the output-size formula worked out (text without -o; -o "
                              "conv.gif or conv.html for the animation)"))
    group.add_argument("--size", type=int, metavar="N", help=_("with --arithmetic: the input's side (at most 32)"))
    group.add_argument("--kernel", type=int, metavar="K", help=_("with --arithmetic: the kernel's side"))
    group.add_argument("--stride", type=int, default=1, metavar="S", help=_("with --arithmetic: the stride (default "
                                                                            "1)"))
    group.add_argument("--padding", type=int, default=0, metavar="P",
                       help=_("with --arithmetic: zero padding on each side (default 0)"))
    group.add_argument("--dilation", type=int, default=1, metavar="D",
                       help=_("with --arithmetic: the gap between kernel taps (default 1)"))
    group.add_argument("--transposed", action="store_true",
                       help=_("with --arithmetic: a transposed convolution, drawn as a direct one over the "
                              "zero-inserted, padded input"))
    group.add_argument("--output-padding", type=int, default=0, metavar="P",
                       help=_("with --arithmetic --transposed: extra cells on the far side (default 0)"))


def arithmetic_plan(args):
    from cnnscope.errors import UsageError
    from cnnscope.studies.arithmetic import plan

    missing = [flag for flag, value in (("--size", args.size), ("--kernel", args.kernel)) if value is None]
    if missing:
        raise UsageError(_("--arithmetic needs {missing} (e.g. --size 5 --kernel 3)").format(
                             missing=' and '.join(missing)))
    return plan(args.size, args.kernel, stride=args.stride, padding=args.padding, dilation=args.dilation,
                transposed=args.transposed, output_padding=args.output_padding)


def run(args) -> int:
    from cnnscope.errors import UsageError

    output = getattr(args, "output", None)
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    if output and output != "-" and suffix not in SUFFIXES:
        raise UsageError(_("-o {output}: --arithmetic writes a .gif (animation) or a .html (a player page)").format(
                             output=output))
    plan = arithmetic_plan(args)
    if not suffix:
        from cnnscope.studies.arithmetic import describe

        for line in describe(plan):
            say(line)
        return 0
    from cnnscope.vis.conv_animation import html_page, write_gif

    if suffix == ".gif":
        write_gif(plan, output)
    else:
        from cnnscope.files import check_writable, write_text_atomic

        check_writable(output)  # before drawing the frames
        write_text_atomic(output, html_page(plan))
    kind = "transposed, " if plan.transposed else ""
    say(_("wrote {output}: {n} frames, {kind}{settings} → {out}×{out}").format(
            output=output, n=len(plan.frames), kind=kind, settings=plan.settings(), out=plan.out))
    return 0
