"""``cnnscope list``: the buildable models, filtered with wildcards."""

from __future__ import annotations

from cnnscope.cli.common import add_format
from cnnscope.cli.output import emit


def add_parser(subparsers) -> None:
    listing = subparsers.add_parser("list", help="list the buildable models (wildcards such as 'resnet*')")
    listing.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: all)")
    add_format(listing, ("table", "json"))


def run(args) -> int:
    from cnnscope.errors import ModelNotFoundError
    from cnnscope.export import listing
    from cnnscope.zoo import list_entries

    entries = list_entries(args.pattern)
    if not entries:
        raise ModelNotFoundError(f"no model matches {args.pattern!r}")
    emit(listing.to_json(entries) if args.format == "json" else listing.to_text(entries))
    return 0
