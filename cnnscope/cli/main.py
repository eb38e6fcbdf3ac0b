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
    "diff": "diff",
    "kernels": "kernels",
    "train": "train",
    "runs": "runs",
    "app": "app",
}


def command_module(command: str):
    return importlib.import_module(f"cnnscope.cli.{COMMANDS[command]}")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cnnscope", description="See inside convolutional networks: shapes, parameters, "
                    "MACs, memory and receptive fields of any CNN.")
    parser.add_argument("--version", action="version", version=f"cnnscope {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in dict.fromkeys(COMMANDS):
        if command not in subparsers.choices:  # a module adds all the commands of its group at once
            command_module(command).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
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
