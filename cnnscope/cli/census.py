"""``cnnscope census``: one row of figures per model over many models, in a process pool or on Ray.

Rows go into ``-o`` as they finish (the whole file rewritten in one rename, so Ctrl-C or a killed run
keeps every finished row and the file is readable at every moment); running the command again skips
the models already done with the same versions.  Without ``-o``, a table of the rows.
"""

from __future__ import annotations

from cnnscope.cli.output import emit, note, say
from cnnscope.i18n import _, ngettext

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_RECYCLE_AFTER = 50
EVERY_TORCHVISION_MODEL = "torchvision,detection,segmentation,video,optical_flow"


def add_parser(subparsers) -> None:
    census = subparsers.add_parser(
        "census", help=_("one row of figures per model (params, MACs, memory, receptive field) over many models"),
        description=_("A row per model: group, family, natural input, parameters, MACs, activation and training "
                      "memory, the receptive field at the last feature map, accuracy where torchvision publishes "
                      "it. Every torchvision model: cnnscope census --group {groups} -o zoo.parquet").format(
            groups=EVERY_TORCHVISION_MODEL))
    census.add_argument("patterns", nargs="*", metavar="PATTERN",
                        help=_("as in `cnnscope list`: 'resnet*', 'timm:*convnext*' (default: every model of "
                               "--group)"))
    census.add_argument("-o", "--output", metavar="FILE",
                        help=_("zoo.parquet, .csv, .json or .html (the explorer page); rows are added as they "
                               "finish and a rerun skips the models already done (default: a table)"))
    census.add_argument("--group", metavar="GROUP[,GROUP...]", action="append",
                        help=_("only these groups (comma-separated or repeated): tutorial, torchvision, "
                               "detection, segmentation, video, optical_flow, timm"))
    census.add_argument("--workers", type=int, metavar="N",
                        help=_("processes of the local pool, or CPUs of a local Ray (default: the cores)"))
    census.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help=_("run on a Ray cluster (a local one without ADDRESS); needs "
                               "pip install \"cnnscope[ray]\""))
    census.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                        help=_("give up on a model after S seconds: a row with status timeout (default "
                               "{seconds})").format(seconds=f"{DEFAULT_TIMEOUT_S:.0f}"))
    census.add_argument("--recycle-after", type=int, default=DEFAULT_RECYCLE_AFTER, metavar="N",
                        help=_("replace a worker after N models, so that a leak cannot grow (default "
                               "{n})").format(n=DEFAULT_RECYCLE_AFTER))
    census.add_argument("--memory-limit", type=int, metavar="MB",
                        help=_("replace a worker whose resident memory passes MB after a model"))


def run(args) -> int:
    from cnnscope.export import census_file
    from cnnscope.studies.census.plan import plan, select

    _check_numbers(args)
    existing = []
    if args.output:
        existing = _existing_rows(args.output)
    if args.ray is not None:
        _require_ray()
    names = select(args.patterns, _groups(args.group))
    todo = plan(names, existing)
    if todo.skipped:
        note(ngettext("skipped {n} model already done", "skipped {n} models already done",
                      len(todo.skipped)).format(n=len(todo.skipped)))
    redone = sum(1 for name in todo.todo if name in todo.rows and todo.rows[name]["status"] in ("ok", "error"))
    if redone:
        note(ngettext("redoing {n} model made with other versions", "redoing {n} models made with other versions",
                      redone).format(n=redone))
    if args.output:
        live = census_file.LiveFile(args.output, todo.rows, names)
    else:
        live = _InMemory(names)
    outcome = _run(args, todo.todo, live)
    if not args.output:
        selected = [row for row in live.ordered() if row["name"] in set(names)]
        if selected:
            from cnnscope.export.census_text import census_table

            emit(census_table(selected))
    failed = sum(1 for name in names if live.rows.get(name, {}).get("status", "ok") != "ok")
    if outcome == "interrupted":
        kept = len(live.rows)
        if args.output:
            note(ngettext("interrupted: {n} row kept in {path}", "interrupted: {n} rows kept in {path}",
                          kept).format(n=kept, path=args.output))
        else:
            note(_("interrupted"))
        return 130
    if args.output:
        say(ngettext("wrote {n} row to {path} ({failed} failed)", "wrote {n} rows to {path} ({failed} failed)",
                     len(live.rows)).format(n=len(live.rows), path=args.output, failed=failed))
    return 0


def _run(args, names: list[str], live) -> str:
    """Run the engine over ``names``, putting each finished row into ``live``; "done" or "interrupted"."""
    from cnnscope.cli.census_progress import census_progress

    events = _engine(args, names) if names else iter(())
    progress = census_progress(len(names))
    outcome = "done"
    try:
        with progress:
            for event in events:
                row = getattr(event, "row", None)
                if row is None:
                    progress.started(event.name)
                    continue
                live.put(row)
                progress.finished(row)
    except KeyboardInterrupt:
        outcome = "interrupted"
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            try:
                close()  # stop the workers before anything else
            except KeyboardInterrupt:
                outcome = "interrupted"
        live.close()
    return outcome


def _engine(args, names: list[str]):
    from cnnscope.studies.census.row import census_row

    common = dict(timeout=args.timeout, recycle_after=args.recycle_after, memory_limit_mb=args.memory_limit)
    if args.ray is not None:
        from cnnscope.studies.census.ray_engine import run_ray

        return run_ray(names, census_row, None, address=args.ray or None, workers=args.workers, **common)
    from cnnscope.studies.census.pool import run_local

    return run_local(names, census_row, None, workers=args.workers, **common)


class _InMemory:
    """The rows of a census without ``-o``: shown as a table at the end."""

    def __init__(self, order: list[str]):
        self.rows: dict[str, dict] = {}
        self.place = {name: k for k, name in enumerate(order)}

    def put(self, row: dict) -> None:
        self.rows[row["name"]] = row

    def ordered(self) -> list[dict]:
        return sorted(self.rows.values(), key=lambda row: self.place.get(row["name"], len(self.place)))

    def close(self) -> None:
        pass


def _check_numbers(args) -> None:
    from cnnscope.errors import UsageError

    for option, value, least in (("--workers", args.workers, 1), ("--recycle-after", args.recycle_after, 1),
                                 ("--memory-limit", args.memory_limit, 1)):
        if value is not None and value < least:
            raise UsageError(_("{option} {value}: must be at least {least}").format(option=option, value=value,
                                                                                     least=least))
    if not args.timeout > 0:
        raise UsageError(_("--timeout {value}: must be more than 0 seconds").format(value=args.timeout))


def _groups(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [group.strip() for value in values for group in value.split(",") if group.strip()] or None


def _existing_rows(output: str) -> list[dict]:
    """The rows already in ``-o`` (none when it does not exist), checked before any work: its suffix, its
    format and version (another census format is refused, the file left as it is), and that it is a file."""
    from pathlib import Path

    from cnnscope.errors import UsageError
    from cnnscope.export import census_file
    from cnnscope.files import is_stream

    if is_stream(output):
        raise UsageError(_("-o {path}: a census is rewritten as its rows finish, so it needs a file").format(
            path=output))
    fmt = census_file.file_format(output)
    if fmt == "html":
        census_file.require_explorer()  # before models are analysed for a page that cannot be written
    rows = census_file.read(output) if Path(output).is_file() else []
    _check_can_write(output)
    return rows


def _check_can_write(output: str) -> None:
    """A file can be made beside ``output`` (the rewrites rename one over it): a read-only folder or
    file system is one line before any model is analysed, not after the first."""
    import os
    import tempfile
    from pathlib import Path

    from cnnscope.files import cannot_write

    target = Path(os.path.realpath(output))
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise cannot_write(output, error) from None
    os.close(handle)
    os.unlink(probe)


def _require_ray() -> None:
    import importlib.util

    from cnnscope.errors import UsageError

    if importlib.util.find_spec("ray") is None:
        raise UsageError(_("--ray needs Ray, which is not installed: pip install \"cnnscope[ray]\""))

