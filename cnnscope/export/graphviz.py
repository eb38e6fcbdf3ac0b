"""Rendering DOT with graphviz's ``dot`` binary (Debian: apt-get install graphviz)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cnnscope.errors import CnnscopeError
from cnnscope.export.formats import DOT_SOURCE, DRAWN_BY_DOT
from cnnscope.files import write_bytes_atomic, write_text_atomic
from cnnscope.i18n import _
TIMEOUT_S = 180


class RenderError(CnnscopeError):
    pass


def render(dot_source: str, output: str | Path) -> Path:
    """Write ``output`` (.svg/.png/.pdf through ``dot``, or .dot as is), atomically."""
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix in DOT_SOURCE:
        return write_text_atomic(output, dot_source)
    if suffix not in DRAWN_BY_DOT:
        raise RenderError(_("{output}: choose .svg, .png, .pdf or .dot").format(output=output))
    if shutil.which("dot") is None:
        fallback = write_text_atomic(output.with_suffix(".dot"), dot_source)
        raise RenderError(_("graphviz's dot is not installed, so {output} was not drawn; the diagram is in "
                            "{fallback}: render it with `dot -T{DRAWN_BY_DOT} {fallback} -o {output}` (install it "
                            "with `apt-get install graphviz`), or write {with_suffix}, a page that draws it "
                            "without graphviz").format(
                              output=output, fallback=fallback, DRAWN_BY_DOT=DRAWN_BY_DOT[suffix], with_suffix=output.with_suffix('.html')))
    try:
        drawn = _run_dot(dot_source, DRAWN_BY_DOT[suffix])
    except RenderError as error:
        raise RenderError(_("{error}; graphviz cannot lay out every graph: try --rankdir LR or --expand, or write "
                            "{name} and render it elsewhere").format(error=error, name=output.with_suffix('.dot').name)) from None
    return write_bytes_atomic(output, drawn)


def _run_dot(dot_source: str, fmt: str, timeout: float = TIMEOUT_S) -> bytes:
    """``dot -T<fmt>`` on the source; a RenderError when it is missing, slow or fails."""
    binary = shutil.which("dot")
    if binary is None:
        raise RenderError(_("graphviz's dot is not installed"))
    try:
        result = subprocess.run([binary, f"-T{fmt}"], input=dot_source.encode(), capture_output=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(_("dot took over {timeout:.0f} s on this graph; write .dot and render it yourself, or "
                            "leave out --expand").format(timeout=timeout)) from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        first = message[0] if message else "exit " + str(result.returncode)
        raise RenderError(_("dot failed: {first}").format(first=first[:200]))
    return result.stdout


def to_svg(dot_source: str, timeout: float = TIMEOUT_S) -> tuple[str | None, str]:
    """(the diagram as an inline ``<svg>`` element, no XML prolog or DOCTYPE; "") where ``dot`` drew it,
    else (None, why not: "graphviz's dot is not installed", "dot failed: ...", "dot took over ...");
    reports then carry the DOT source, and an HTML page draws it itself."""
    try:
        text = _run_dot(dot_source, "svg", timeout).decode("utf-8", errors="replace")
    except RenderError as error:
        return None, str(error).split(";")[0]
    start = text.find("<svg")
    return (text[start:], "") if start >= 0 else (None, "dot wrote no SVG")
