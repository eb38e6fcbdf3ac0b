"""``cnnscope list``: the buildable models by group, filtered with wildcards (``timm:*convnext*``)."""

from __future__ import annotations

from cnnscope.cli.common import add_format
from cnnscope.cli.output import emit
from cnnscope.export.formats import TABLE_OR_JSON
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    listing = subparsers.add_parser(
        "list", help=_("list the buildable models by group (wildcards such as 'resnet*' or 'timm:*convnext*')"))
    listing.add_argument("pattern", nargs="?", default="*",
                         help=_("fnmatch pattern (default: all); 'timm:PATTERN' searches timm's models"))
    listing.add_argument("--group", metavar="GROUP",
                         help=_("only one group: tutorial, torchvision (classification), detection, segmentation, "
                                "video, optical_flow, timm"))
    add_format(listing, TABLE_OR_JSON)


def run(args) -> int:
    from cnnscope.errors import ModelNotFoundError
    from cnnscope.export import listing
    from cnnscope.zoo import list_entries, prefix_entries
    from cnnscope.zoo import timm_models
    from cnnscope.zoo.registry import canonical_group

    group = canonical_group(args.group) if args.group else None
    pattern = args.pattern
    more = None  # the timm line of the full listing: (count,) when timm is installed
    if group == "timm" or pattern.startswith("timm:"):
        if not timm_models.installed():
            raise ModelNotFoundError(timm_models.INSTALL_HINT)
        rest = pattern[len("timm:"):] if pattern.startswith("timm:") else pattern
        entries = prefix_entries("timm", rest) if group in (None, "timm") else []
    else:
        entries = [e for e in list_entries(pattern) if group is None or e.group == group]
        if group is None and pattern == "*" and timm_models.installed():
            more = len(prefix_entries("timm"))
    if not entries:
        where = _(" in group {group!r}").format(group=group) if group else ""
        raise ModelNotFoundError(_("no model matches {pattern!r}{where}").format(pattern=pattern, where=where))
    emit(listing.to_json(entries) if args.format == "json" else listing.to_text(entries, timm_count=more))
    return 0
