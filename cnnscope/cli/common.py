"""What the commands share: the argument parser class, the options several commands take, and
turning their values into library arguments (input shapes, units, weights).

Only argparse and the table of formats (``cnnscope.export.formats``, which imports nothing) are
imported at module level: ``cnnscope --help`` builds every parser and must not import torch.
"""

from __future__ import annotations

import argparse

from cnnscope.export import formats
from cnnscope.i18n import N_, _

MODEL_HELP = N_("a zoo name, path/to/file.py:ClassOrFactory, or a spec")
SOURCE_HELP = N_("a zoo name (see `cnnscope list`), path/to/file.py:ClassOrFactory, a .yaml/.json spec, a "
                 "one-line spec, or a model file (.onnx, or .pt2 from torch.export.save)")
# the option helps are English ids (N_); the helpers below show them with _() when the parser is built
INPUT_HELP = N_("C,H,W or N,C,H,W (default: the model's natural input)")
WEIGHTS_HELP = N_("a state_dict or checkpoint (weights_only=True)")


def display_width(text: str) -> int:
    """Terminal columns of ``text``: a wide (CJK) character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but Chinese help text is wrapped by display width, between any two
    CJK characters (argparse's textwrap counts characters and breaks only at spaces)."""

    def _split_lines(self, text, width):
        import re

        if display_width(text) == len(text):
            return super()._split_lines(text, width)
        wide = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
        lines, line = [], []  # line: its tokens (a word, a space or one CJK character)
        for token in re.findall(f" |[{wide}]|[^ {wide}]+", " ".join(text.split())):
            if line and token != " " and display_width("".join(line) + token) > width:
                # never start a line with closing punctuation: the token before it goes down with it
                carried = [line.pop()] if token in "）」』，。；：、？！" and len(line) > 1 else []
                lines.append("".join(line).rstrip())
                line = carried + [token]
            elif line or token != " ":
                line.append(token)
        line = "".join(line)
        return lines + ([line.rstrip()] if line.strip() else [])

    def _format_usage(self, usage, actions, groups, prefix):
        """argparse indents the usage's continuation lines by len("usage: cnnscope ..."); a Chinese
        prefix is wider on screen than it is long, so they get the difference."""
        text = super()._format_usage(usage, actions, groups, prefix)
        shown = prefix if prefix is not None else argparse._("usage: ")
        extra = display_width(shown) - len(shown)
        if not extra:
            return text
        first, *rest = text.split("\n")
        return "\n".join([first, *(" " * extra + line if line.startswith(" ") else line for line in rest)])

    def _fill_text(self, text, width, indent):
        if display_width(text) == len(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in self._split_lines(text, width))


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2.

    A value that starts with a minus and a digit (``--input -1,28,28``, ``--unit -1,3``) is a
    value, not an option, so that the command can say what is wrong with it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        import re

        self._negative_number_matcher = re.compile(r"^-\d[\d,.;x× ]*$")

    def error(self, message: str):
        from cnnscope.i18n import _

        self.exit(2, _("cnnscope: error: {message} (see `{prog} --help`)").format(message=message, prog=self.prog) + "\n")


# -- options several commands take -----------------------------------------------------------------

def add_model(parser, help: str = MODEL_HELP) -> None:
    parser.add_argument("model", help=_(help) if help else help)


def add_input(parser, help: str = INPUT_HELP) -> None:
    parser.add_argument("--input", metavar="SHAPE", help=_(help) if help else help)


def add_format(parser, choices=formats.FORMATS, default: str | None = "table") -> None:
    """``default=None``: the command tells an explicit ``--format`` from none (``output_format``)."""
    parser.add_argument("--format", choices=choices, default=default,
                        help=None if default else _("default: {format}, or what the suffix of -o names").format(
                            format=choices[0]))


def add_output(parser, help: str, required: bool = False) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", required=required, help=_(help) if help else help)


def add_weights(parser, help: str = WEIGHTS_HELP) -> None:
    parser.add_argument("--weights", metavar="FILE", help=_(help) if help else help)


def add_seed(parser, help: str | None = None, metavar: str | None = None) -> None:
    parser.add_argument("--seed", type=int, default=0, metavar=metavar, help=_(help) if help else help)


def add_weight_choice(parser, *, run: bool = False, download: bool = True) -> None:
    """Where real weights come from: ``--weights FILE``, ``--pretrained`` (with ``--download``), a training
    ``--run DIR`` when ``run``, else a seeded random initialisation (``--seed``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--weights", metavar="FILE", help=_(WEIGHTS_HELP))
    if run:
        group.add_argument("--run", metavar="DIR", help=_("a training run folder (cnnscope train --out DIR): its "
                                                          "best epoch's weights (best.pt, else model.pt), input "
                                                          "pipeline and class names"))
    group.add_argument("--pretrained", action="store_true", help=_("torchvision's pretrained weights, if they are "
                                                                   "already in the local torch hub cache "
                                                                   "($TORCH_HOME/hub/checkpoints)"))
    if download:
        parser.add_argument("--download", action="store_true", help=_("with --pretrained: download them if absent, "
                                                                      "with a progress bar (the error without it "
                                                                      "says the size)"))
    add_seed(parser, _("seed of the random initialisation when no weights are given (default 0)"))


def add_layer(parser, help: str) -> None:
    parser.add_argument("--layer", metavar="NAME", help=_(help) if help else help)


# -- option values -> library arguments --------------------------------------------------------------

def input_shapes(args) -> list[tuple[int, ...]] | None:
    """``--input`` as shapes, or None for the model's natural input (``--input ''`` is an error)."""
    from cnnscope.input_shapes import parse_input_shape

    return parse_input_shape(args.input) if args.input is not None else None


def parse_unit(text: str | None) -> tuple[int, ...] | None:
    """``--unit 7,7`` -> (7, 7)."""
    if text is None:
        return None
    from cnnscope.errors import UsageError

    try:
        unit = tuple(int(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise UsageError(_("--unit {text!r}: expected integers such as 7,7").format(text=text)) from None
    if any(v < 0 for v in unit):
        raise UsageError(_("--unit {text!r}: positions must not be negative (0,0 is the top-left unit)").format(
                             text=text))
    return unit


# -- the format of -o ------------------------------------------------------------------------------------

def output_format(args, suffixes: dict, default: str | None = "table") -> str:
    """The format a command writes: the one ``-o``'s suffix names (``suffixes``: ".json" -> "json";
    None for a suffix the command writes otherwise, a picture, where ``--format`` still applies to
    what goes to the terminal), else ``--format``, else ``default``.

    Every command that writes reports asks this, so that they agree: an unknown suffix, or an
    explicit ``--format`` that says otherwise, is a one-line UsageError (exit 2).  ``-o`` without a
    suffix (``-``, ``/dev/stdout``, ``out``) takes ``--format``; without ``default`` it is refused."""
    from pathlib import PurePath

    from cnnscope.errors import UsageError

    output = getattr(args, "output", None)
    chosen = getattr(args, "format", None)
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    choices = _("{first} or {last}").format(first=", ".join(list(suffixes)[:-1]), last=list(suffixes)[-1])
    if suffix not in suffixes:
        if suffix or not default:
            raise UsageError(_("-o {output}: unknown suffix {value}; choose {choices}").format(
                                 output=output, value=suffix or '(none)', choices=choices))
        return chosen or default
    named = suffixes[suffix]
    if named is None:
        return chosen or default
    if chosen is not None and chosen != named:
        raise UsageError(_("--format {chosen} contradicts -o {output} (a {suffix} file is {named}); leave out "
                           "--format or change the suffix").format(
                             chosen=chosen, output=output, suffix=suffix, named=named))
    return named


def check_study_args(args) -> None:
    """Before any work, for ``compare`` and ``kernels``: --epochs and --max-steps at least 1
    (bad-input suite), and -o's suffix naming a report format."""
    from cnnscope.errors import UsageError

    for option, value in (("--epochs", getattr(args, "epochs", None)), ("--max-steps", getattr(args, "max_steps", None))):
        if value is not None and value < 1:
            raise UsageError(_("{option} {value}: must be at least 1").format(option=option, value=value))
    if args.output:
        output_format(args, formats.DOCUMENT_SUFFIXES, default=None)


# -- paths: the outputs and the inputs of a command ----------------------------------------------------

INPUT_OPTIONS = ("model", "models", "spec", "image", "weights")


def check_paths(args) -> None:
    """Before any work: ``-o`` must be writable and must not be one of the command's inputs."""
    output = getattr(args, "output", None)
    if not output or output == "-":
        return
    from cnnscope.files import check_writable, refuse_output_over_inputs

    inputs = []
    for name in INPUT_OPTIONS:
        value = getattr(args, name, None)
        inputs.extend(value if isinstance(value, list) else [value])
    refuse_output_over_inputs(output, inputs)
    check_writable(output)


def check_weights(source: str, path: str) -> None:
    """Check that the ``--weights`` file fits ``source`` (on meta: nothing is allocated)."""
    from cnnscope import weights
    from cnnscope.sources import load_model

    weights.check_weights(load_model(source, device="meta").module, path)


def real_model(source: str, seed: int, weights: str | None = None, pretrained: bool = False,
               download: bool = False):
    """(``LoadedModel`` on the CPU, a phrase saying where its weights came from): random
    initialisation seeded with ``seed``, a ``--weights`` file, or the zoo's pretrained weights."""
    from cnnscope.sources import load_model

    loaded = load_model(source, device="cpu", seed=seed, weights=weights, pretrained=pretrained, download=download)
    return loaded, loaded.origin


def first_input_shape(report) -> list[int]:
    """The (first) input shape of a report, N,C,H,W for an image model."""
    return report.input_shapes()[0]


def passive_openmp() -> None:
    """Let idle OpenMP threads sleep at once instead of spinning (unless the user chose otherwise).

    A parallel region waits for its slowest thread.  When another process holds a core, a spinning
    thread keeps its own core busy while its descheduled sibling waits for one, and every step
    stalls: on the 2-core development machine under load, 5 epochs of lenet5 on digits took
    96–135 s with libgomp's default policy and 13–22 s with PASSIVE.  On a nearly quiet machine
    PASSIVE costs about 20 % per LeNet-5 step (5.6 vs 4.5 ms); the numerics do not change.
    libgomp reads the variable when torch loads it, so this only acts before the first
    ``import torch``."""
    import os
    import sys

    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
