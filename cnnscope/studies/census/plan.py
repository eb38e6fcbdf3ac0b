"""What a census run does: patterns -> model names, and an existing file's rows -> what is still to do.

Patterns match as in ``cnnscope list``: plain fnmatch over the zoo's names, ``timm:PATTERN`` over
timm's.  ``groups`` keeps the models of those groups only (and with the ``timm`` group a plain pattern
also searches timm).  A pattern that names a source outside the zoo (``net.py:Net``, a spec) is taken as
it is.  Every pattern must match something: a typo is an error, not a smaller census.

Resume: a row already in the file with the current versions (torch, torchvision, timm, cnnscope) and
status ok or error is kept and its model skipped; a timeout or crashed row is retried; a row made with
other versions is redone.  Until its new row arrives, the old row stays in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnscope.errors import ModelNotFoundError
from cnnscope.i18n import _
from cnnscope.studies.census.columns import DONE_STATUSES, VERSION_COLUMNS, versions


def select(patterns: list[str], groups: list[str] | None = None) -> list[str]:
    """The model names ``patterns`` match (in the patterns' order, each name once), within ``groups``."""
    import cnnscope.zoo  # noqa: F401  (registers the groups and the timm: prefix)
    from cnnscope.zoo.registry import canonical_group

    wanted = [canonical_group(g) for g in groups] if groups else None
    names: dict[str, None] = {}
    for pattern in patterns or ["*"]:
        found = _matches(pattern, wanted)
        if not found:
            # The words of `cnnscope list`, so that both read (and translate) alike.
            where = _(" in group {group!r}").format(group=", ".join(wanted)) if wanted else ""
            raise ModelNotFoundError(_("no model matches {pattern!r}{where}").format(pattern=pattern, where=where))
        names.update(dict.fromkeys(found))
    return list(names)


def _matches(pattern: str, groups: list[str] | None) -> list[str]:
    from cnnscope.sources import ZOO, source_kind
    from cnnscope.zoo import list_entries, prefix_entries, timm_models

    if not _is_pattern(pattern) and source_kind(pattern) != ZOO:
        return [pattern]  # file.py:Name, a spec: one model, taken as it is
    timm_wanted = groups is None or "timm" in groups
    if pattern.startswith("timm:"):
        if not timm_wanted:
            return []
        _require_timm(timm_models)
        return [e.name for e in prefix_entries("timm", pattern[len("timm:"):])]
    found = [e.name for e in list_entries(pattern) if groups is None or e.group in groups]
    if groups is not None and "timm" in groups:
        _require_timm(timm_models)
        found += [e.name for e in prefix_entries("timm", pattern)]
    return found


def _is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


def _require_timm(timm_models) -> None:
    if not timm_models.installed():
        raise ModelNotFoundError(timm_models.INSTALL_HINT)


@dataclass
class Plan:
    """``rows``: the file's rows by name (kept, and replaced as new rows arrive); ``todo``: the names to
    run, in order; ``skipped``: the names already done with the current versions."""

    rows: dict[str, dict] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def is_done(row: dict, current: dict[str, str]) -> bool:
    """Whether ``row`` need not be made again: ok or error, with the current versions."""
    return row.get("status") in DONE_STATUSES and all((row.get(k) or "") == current[k] for k in VERSION_COLUMNS)


def plan(names: list[str], existing: list[dict], current: dict[str, str] | None = None) -> Plan:
    """Which of ``names`` to run, given the rows of an existing file (rows of other models stay in it)."""
    current = current or versions()
    rows = {row["name"]: row for row in existing}
    result = Plan(rows=rows)
    for name in names:
        row = rows.get(name)
        (result.skipped if row is not None and is_done(row, current) else result.todo).append(name)
    return result
