"""``cnnscope runs DIR...``: several training runs laid over each other, and a table of them.

Each DIR is the ``--out`` folder of a ``cnnscope train`` run.  The table (params, MACs, receptive
field of the last feature map, best/final validation accuracy, time) goes to stdout; ``-o``
writes the overlaid curves as an HTML page (plotly, self-contained) or a PNG (matplotlib).
"""

from __future__ import annotations

from cnnscope.cli.common import add_format, output_format
from cnnscope.export.formats import RUNS_SUFFIXES
from cnnscope.i18n import _


def add_parser(subparsers):
    runs = subparsers.add_parser(
        "runs", help=_("overlay the curves of several training runs and compare them in a table"),
        description=_("Read the run folders written by `cnnscope train --out DIR` and print one row per run: "
                      "parameters, MACs and receptive field of the last feature map (from the trained model's "
                      "analysis), best and final validation accuracy, training time. With -o, write their curves "
                      "laid over each other (smoothed training loss, validation loss, validation accuracy with the "
                      "best epoch marked) as .html or .png."))
    runs.add_argument("folders", nargs="+", metavar="DIR", help=_("run folders (each holds a history.json)"))
    add_format(runs)
    runs.add_argument("-o", "--output", metavar="FILE", help=_("write the overlaid curves to FILE (.html or .png)"))
    runs.add_argument("--no-arch", action="store_true", help=_("skip the architecture columns (no model rebuild)"))
    return runs


def run(args) -> int:
    from pathlib import Path

    from cnnscope.cli.output import emit, note, say
    from cnnscope.errors import UsageError
    from cnnscope.export.runs_table import RENDERERS
    from cnnscope.train.run_folder import RUN_FILES, read_run

    output = args.output
    if output:  # the curves, whatever --format says of the table on the terminal
        output_format(args, RUNS_SUFFIXES, default=None)
    histories = [read_run(folder) for folder in args.folders]  # every folder checked before any work
    if output:
        for folder in args.folders:
            if Path(output).resolve().parent == Path(folder).resolve() and Path(output).name in RUN_FILES:
                raise UsageError(_("-o {output}: is a file of the run folder {folder}; choose another output file").format(
                                     output=output, folder=folder))

    from cnnscope.studies.run_overlay import labels_for, run_report, summarize

    labels = labels_for(args.folders)
    runs = []
    for label, folder, history in zip(labels, args.folders, histories):
        report, why = (None, "") if args.no_arch else run_report(folder, history)
        runs.append(summarize(label, history, report, why))
    emit(RENDERERS[args.format](runs))
    if output:
        from cnnscope.files import write_bytes_atomic, write_text_atomic
        from cnnscope.vis import training_curves

        curves = {run.label: run.history for run in runs}
        if Path(output).suffix.lower() == ".png":
            write_bytes_atomic(output, training_curves.runs_png(curves))
        else:
            write_text_atomic(output, training_curves.runs_html(curves))
        (say if args.format == "table" else note)(f"wrote {output}")
    return 0
