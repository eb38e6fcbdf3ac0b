"""The ``cnnscope`` entry point: the COMMANDS table, the parser built from it, and ``main``.

A new command is one module in ``cnnscope/cli/`` with ``add_parser(subparsers)`` and
``run(args) -> int``, plus its line in COMMANDS.  The command modules import only argparse at
module level, so that ``cnnscope --help`` (which builds every parser) does not import torch.
"""

from __future__ import annotations

import argparse
import importlib

from cnnscope._version import __version__
from cnnscope.cli.common import Parser, check_paths
from cnnscope.cli.output import run_guarded
from cnnscope.i18n import LANGUAGES, _, normalize, use_language

# command -> module of cnnscope.cli that defines it; in the order of `cnnscope --help`.
COMMANDS: dict[str, str] = {
    "list": "listing",
    "summary": "summary",
    "rf": "rf",
    "code": "code",
    "filters": "visual",
    "features": "visual",
    "graph": "visual",
    "explain": "explain",
    "compare": "compare",
    "census": "census",
    "diff": "diff",
    "kernels": "kernels",
    "train": "train",
    "runs": "runs",
    "app": "app",
}


def command_module(command: str):
    return importlib.import_module(f"cnnscope.cli.{COMMANDS[command]}")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cnnscope", description=_("See inside convolutional networks: shapes, parameters, "
                                                   "MACs, memory and receptive fields of any CNN."))
    parser.add_argument("--version", action="version", version=f"cnnscope {__version__}",
                        help=_("show program's version number and exit"))
    # Read by choose_language before parsing (it may follow the command); here for --help.
    parser.add_argument("--lang", choices=tuple(LANGUAGES),
                        help=_("language of tables, messages and errors (default: CNNSCOPE_LANG, else the locale); "
                               "JSON and CSV never change"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in dict.fromkeys(COMMANDS):
        if command not in subparsers.choices:  # a module adds all the commands of its group at once
            command_module(command).add_parser(subparsers)
    return parser


def choose_language(argv: list[str]) -> tuple[str, list[str]]:
    """(the language, ``argv`` without it): ``--lang X`` / ``--lang=X`` wherever it stands (before or after
    the command, not after ``--``), else ``CNNSCOPE_LANG``, else the locale.  An unknown language is a
    UsageError (exit 2), never a silent English."""
    import os

    from cnnscope.errors import UsageError
    from cnnscope.i18n import from_environment

    rest, chosen, k = [], None, 0
    while k < len(argv):
        arg = argv[k]
        if arg == "--":
            rest += argv[k:]
            break
        if arg == "--lang" or arg.startswith("--lang="):
            if arg == "--lang":
                if k + 1 >= len(argv):
                    raise UsageError(_("--lang: expected one of {choices}").format(choices=", ".join(LANGUAGES)))
                chosen, k = argv[k + 1], k + 2
            else:
                chosen, k = arg.split("=", 1)[1], k + 1
            if normalize(chosen) is None:
                raise UsageError(_("--lang {value}: unknown language; choose {choices}").format(
                    value=chosen, choices=", ".join(LANGUAGES)))
            continue
        rest.append(arg)
        k += 1
    variable = os.environ.get("CNNSCOPE_LANG")
    if chosen is None and variable and normalize(variable) is None:
        raise UsageError(_("CNNSCOPE_LANG={value}: unknown language; choose {choices}").format(
            value=variable, choices=", ".join(LANGUAGES)))
    return normalize(chosen) if chosen else from_environment(), rest


def main(argv: list[str] | None = None) -> int:
    import sys

    from cnnscope.errors import UsageError
    from cnnscope.i18n import argparse_messages

    argparse_messages.install()
    try:
        language, argv = choose_language(list(sys.argv[1:] if argv is None else argv))
    except UsageError as error:
        sys.stderr.write(_("cnnscope: error: {message}").format(message=error) + "\n")
        return error.exit_code
    with use_language(language):  # for this run only: a caller in the same thread keeps its language
        return _run(argv)


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    command = command_module(args.command).run

    def checked(args):
        check_paths(args)  # -o writable and not an input, before any work
        return command(args)

    checked.keeps_stdout = getattr(command, "keeps_stdout", False)
    return run_guarded(checked, args)
