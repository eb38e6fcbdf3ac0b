"""The formats cnnscope writes and the file suffixes that name them: the one table every command,
renderer and page reads.

No imports at all, so that ``cli/`` modules may import it at module level (``cnnscope --help``
imports neither torch nor rich nor plotly).  A suffix table maps each ``-o`` suffix a command
accepts to the format it names (``cli.common.output_format``); its order is the order of the
choices in the command's error message.
"""

from __future__ import annotations

# -- --format: what a command prints (or writes to an -o without a suffix) -----------------------------

FORMATS = ("table", "json", "csv", "md")  # rf, runs
SUMMARY_FORMATS = (*FORMATS, "html")  # html: the model report
TABLE_OR_JSON = ("table", "json")  # list, kernels
MODEL_DOCUMENT_FORMATS = ("html", "md", "zip", "json", "csv")  # export.model_document.render
DOWNLOADS = ("html", "zip", "json", "csv")  # the app's Export page: Markdown comes zipped with its pictures

# -- -o: suffix -> format ---------------------------------------------------------------------------------

PICTURES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}  # PIL's format names
DOCUMENT_SUFFIXES = {".html": "html", ".md": "md", ".json": "json", ".csv": "csv"}  # compare, kernels
SUMMARY_SUFFIXES = {**DOCUMENT_SUFFIXES, ".txt": "table"}
# rf: a picture (None: --format then shapes the table on the terminal), or the table in a text format
RF_SUFFIXES = {**dict.fromkeys(PICTURES), ".json": "json", ".csv": "csv", ".md": "md", ".txt": "table"}
PICTURE_SUFFIXES = dict.fromkeys(PICTURES, "picture")  # filters, features
DRAWN_BY_DOT = {".svg": "svg", ".png": "png", ".pdf": "pdf"}  # suffix -> graphviz's `dot -T` format
DOT_SOURCE = (".dot", ".gv")
GRAPH_SUFFIXES = {**DRAWN_BY_DOT, ".html": "html", **dict.fromkeys(DOT_SOURCE, "dot")}
RUNS_SUFFIXES = dict.fromkeys((".html", ".htm", ".png"))  # runs: each suffix is its own picture of the curves
