"""argparse's own messages (``usage:``, ``invalid choice: ...``) in the chosen language.

argparse looks its text up through the module-level ``argparse._`` and ``argparse.ngettext``
(the ``argparse`` gettext domain, which no catalog on this machine fills).  ``install`` points
them at cnnscope's catalog, which holds the ids listed here; in English they are unchanged.
The ids are argparse's own (Python 3.11-3.13), %-style, so the translations keep their ``%(name)s``.
"""

from __future__ import annotations

from cnnscope.i18n import N_, _, ngettext

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("ignored explicit argument %r"),
    N_("%(prog)s: error: %(message)s\n"),
)


def install() -> None:
    """Route argparse's lookups through cnnscope's catalog (idempotent; English stays English)."""
    import argparse

    argparse._ = _
    argparse.ngettext = ngettext
