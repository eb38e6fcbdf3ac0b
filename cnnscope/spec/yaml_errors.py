"""YAML mistakes in plain words: ``line 5: this line is indented differently ...`` instead of the parser's
``expected <block end>, but found '<block sequence start>'``.

PyYAML often notices a mistake a line late (a key without its colon is read on as text until the next
colon), so the parser's position is only a hint: the rules below look at the lines themselves, at and
just before that position, for the common mistakes of a hand-written spec (tabs, indentation, a missing
colon, a list item without ``- ``, an unclosed bracket or quote).  Torch-free, like the rest of ``spec/``.
"""

from __future__ import annotations

import re

from cnnscope.i18n import _

_TAG = re.compile(r"!!?[\w/:.\-]*")
_CLOSERS = {"{": "}", "[": "]"}


def plain_yaml_error(exc, text: str) -> str:
    """``YAML syntax error at line 5: ...`` in plain words for a ``yaml.YAMLError`` raised on ``text``."""
    lines = text.split("\n")
    problem = (getattr(exc, "problem", None) or str(exc).splitlines()[0]).strip()
    context = (getattr(exc, "context", None) or "").strip()
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    at = mark.line if mark is not None else 0
    line, words = _explain(lines, problem, context, at, context_mark.line if context_mark is not None else None,
                           mark.column if mark is not None else 0)
    return _("YAML syntax error at line {line}: {words}").format(line=line + 1, words=words)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(lines, k: int) -> str:
    return lines[k].strip() if 0 <= k < len(lines) else ""


def _previous(lines, k: int) -> int | None:
    """The line before ``k`` with something on it (not blank, not only a comment)."""
    for j in range(min(k, len(lines)) - 1, -1, -1):
        if lines[j].strip() and not lines[j].lstrip().startswith("#"):
            return j
    return None


def _unbalanced(line: str) -> str | None:
    """The first bracket of ``line`` left open (``{`` or ``[``), or a closer with no opener, outside quotes."""
    stack, quote = [], None
    for char in line.split(" #")[0]:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(char)
        elif char in "}]":
            if not stack or _CLOSERS[stack[-1]] != char:
                return char
            stack.pop()
    return stack[0] if stack else None


def _explain(lines, problem: str, context: str, at: int, context_line: int | None, column: int) -> tuple[int, str]:
    """(0-based line, what is wrong there and how to fix it)."""
    near = [k for k in (context_line, at) if k is not None and 0 <= k < len(lines)]
    # 1. tabs: YAML indents with spaces only
    for k in [*near, *range(0, min(at + 1, len(lines)))]:
        if "\t" in lines[k][:_indent(lines[k]) + 1]:
            return k, "a tab character indents this line; YAML indents with spaces only: replace the tab with two spaces"
    if "'\\t'" in problem:
        return at, ("a tab character here; YAML indents and separates with spaces only: replace the tab with "
                    "spaces")
    # 2. tags (!!python/...): a spec is plain data
    if "constructor" in problem or "tag" in problem:
        found = _TAG.search(lines[at]) if at < len(lines) else None
        tag = found.group(0) if found else "!!..."
        return at, (f"{tag!r} is a YAML tag, which a spec does not accept: a spec is plain data (names, numbers, "
                    "lists); remove the tag")
    # 3. brackets and quotes left open (the parser notices at the next line or at the end)
    if "quoted scalar" in context:
        k = context_line if context_line is not None else at
        return k, "a quote (' or \") is opened here and never closed: close it on the same line, or remove it"
    if "flow" in context or "'}'" in problem or "']'" in problem:
        for k in ([context_line] if context_line is not None else []) + list(range(0, min(at + 1, len(lines)))):
            bracket = _unbalanced(lines[k])
            if bracket in _CLOSERS:
                example = "conv: {out: 16, kernel: 3}" if bracket == "{" else "input: [1, 28, 28]"
                return k, (f"the '{bracket}' opened here is not closed: end it with '{_CLOSERS[bracket]}' on the same "
                           f"line, e.g. {example}")
            if bracket:
                return k, f"one '{bracket}' too many: remove it, or add the '{'{' if bracket == '}' else '['}' it closes"
        if "flow" in context:
            return at, "between brackets, separate the entries with commas: {out: 16, kernel: 3} or [1, 28, 28]"
    # 4. a line read on as text until the next colon: a key without its colon, a list item without "- "
    if "could not find expected ':'" in problem and context_line is not None:
        return _missing_colon(lines, context_line)
    if "mapping values are not allowed" in problem:
        here = lines[at] if at < len(lines) else ""
        before = _previous(lines, at)
        if re.match(r"^\s*(- )?[A-Za-z_]\w*\s+[{\[]", here):
            word = re.match(r"^\s*(?:- )?([A-Za-z_]\w*)", here).group(1)
            return at, f"put a colon after the layer type: {word}: {{...}} (a space after the colon too)"
        if here[:column].count(": ") >= 1 and "{" not in here[:column]:
            return at, ("two 'key: value' pairs on one line: write a layer's settings in braces, "
                        "e.g. - conv: {out: 16, kernel: 3}")
        if before is not None and ":" not in lines[before] and not lines[before].lstrip().startswith("-"):
            return _missing_colon(lines, before)
        if before is not None and _indent(here) > _indent(lines[before]):
            return at, _indentation(lines, at)
        return at, "a colon where YAML does not expect one: if the value holds a colon, put it in quotes"
    # 5. indentation: the parser expected the block to end (or go on) at another column
    if "expected <block end>" in problem or "block collection" in context or "block mapping" in context:
        if "'?'" in problem or "'<block mapping start>'" in problem and lines[at].lstrip()[:1] not in ("-", ""):
            above = _previous(lines, at)
            if above is not None and lines[above].lstrip().startswith("- ") and _indent(lines[above]) == _indent(lines[at]):
                return at, (f"{lines[at].strip()!r} is not a list item like the line above it: start it with '- ' "
                            "(a dash and a space)")
        return at, _indentation(lines, at)
    if "block scalar" in context:  # '|' or '>' before a value starts a block of text in YAML
        k = context_line if context_line is not None else at
        char = "|" if "|" in lines[k] else ">"
        return k, f"'{char}' before a value starts a block of text in YAML: remove the '{char}' (or quote the value)"
    if "sequence entries are not allowed" in problem:
        return at, "a '- ' in the middle of a line: put each layer on its own line, starting with '- '"
    if "mapping keys are not allowed" in problem:
        return at, "a '?' in the middle of a line: remove it (or quote the value that holds it)"
    found = re.search(r"expected the node content, but found '(.+?)'", problem)
    if found:
        return at, f"a '{found.group(1)}' where a value should be: remove it, or write the value (a layer type, a number)"
    if "cannot start any token" in problem:
        char = re.search(r"character '(.*?)'", problem)
        shown = char.group(1) if char else "this character"
        return at, f"'{shown}' cannot start a value: put the value in quotes, or remove the character"
    if "end of stream" in problem or "document" in problem:
        return at, "the text ends in the middle of something: check the brackets and quotes of the last lines"
    return at, ("this line cannot be read as YAML: check its indentation (spaces, lined up with the lines like it), "
                "its colons (key: value) and its brackets")


def _missing_colon(lines, k: int) -> tuple[int, str]:
    """Line ``k`` was read as text with no colon: a key missing its colon, or a list item missing its dash."""
    text = lines[k].strip()
    if re.match(r"^-[^\s-]", text):
        return k, f"put a space after the dash: '- {text[1:]}'"
    above = _previous(lines, k)
    if above is not None and lines[above].lstrip().startswith("- ") and _indent(lines[above]) == _indent(lines[k]):
        return k, f"{text!r} is not a list item like the line above it: start it with '- ' (a dash and a space)"
    if above is not None and re.match(r"^\s*[\w]+:\s*$", lines[above]) and _indent(lines[k]) > _indent(lines[above]) \
            and not text.startswith("-") and ":" not in text:
        return k, f"{text!r} is under {lines[above].strip()!r} but is not a list item: start it with '- ' (a dash and a space)"
    from cnnscope.spec.schema import BLOCKS, LAYERS

    if text.split(":")[0].strip() in (*LAYERS, *BLOCKS):
        return k, f"{text!r} is a layer but not a list item: start it with '- ' (a dash and a space), e.g. - {text}"
    glued = re.match(r"^([A-Za-z_]\w*):(\S.*)$", text)
    if glued:
        return k, f"put a space after the colon: {glued.group(1)}: {glued.group(2)}"
    word = re.match(r"^([A-Za-z_]\w*)\s*(.*)$", text)
    if word:
        key, rest = word.groups()
        example = f"{key}: {rest}" if rest else f"{key}:"
        return k, f"a colon is missing after {key!r}: write {example}"
    return k, "a colon is missing on this line: write key: value"


def _indentation(lines, k: int) -> str:
    """The line is indented differently from the lines it should line up with."""
    if k >= len(lines):
        return "the indentation of the last lines does not match the lines above them"
    here = _indent(lines[k])
    above = _previous(lines, k)
    if above is None:
        return f"this line starts with {here} space{'s' * (here != 1)}; the first line of a spec starts at the left edge"
    levels = sorted({_indent(lines[j]) for j in range(k) if lines[j].strip() and not lines[j].lstrip().startswith("#")})
    if lines[k].lstrip().startswith("- "):
        siblings = [_indent(lines[j]) for j in range(k) if lines[j].lstrip().startswith("- ")]
        if siblings and here not in siblings:
            return (f"this line is indented differently from the lines above it: it starts with {here} "
                    f"space{'s' * (here != 1)}, the list items above start with {siblings[-1]}; line up every '- ' "
                    "of one list")
    wanted = ", ".join(str(v) for v in levels)
    return (f"this line is indented differently from the lines above it ({here} space{'s' * (here != 1)}; the lines "
            f"above start at {wanted}): line it up with the lines it belongs with")
