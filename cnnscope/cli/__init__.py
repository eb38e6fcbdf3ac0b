"""The ``cnnscope`` command line: ``main.py`` (entry point and the COMMANDS table), one module per
command group (``add_parser(subparsers)`` and ``run(args) -> int``), ``common.py`` (shared options,
input shapes, weights) and ``output.py`` (the one output sink and the one error handler).

Nothing is imported here, so that a command module importing ``cnnscope.cli.common`` pulls in
nothing else.
"""
