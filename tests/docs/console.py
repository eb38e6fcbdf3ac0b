"""The console examples of README.md and docs/*.md, as tests.

Sybil finds the ```` ```console ```` blocks; this module reads each block as a shell session:
a line ``$ COMMAND`` is run (in bash, so pipes, ``&&`` and ``VAR=value`` prefixes work), and the
lines under it, up to the next ``$`` line, are its expected output (stdout and stderr together, as a
terminal shows them).  A trailing ``# N`` comment on the command is its expected exit status;
without one, a command whose documented output has a ``cnnscope: error:`` line must fail (any
non-zero status) and every other command must succeed (status 0).

What a writer marks in the Markdown, right above the block, in HTML comments a reader never sees:

``<!-- console: vary REGEX [REGEX ...] -->``
    text that differs from run to run (timings, temporary paths, versions): every match is
    replaced by ``<varies>`` in both the expected and the actual output before they are compared.
``<!-- console: tolerance REL -->``
    numbers computed in float32 from real weights or images: each number may differ from the
    documented one by the relative amount REL, or by one unit of its last printed digit (another
    CPU's vector instructions round float sums differently).  The words between them must match.
``<!-- console: spacing -->``
    runs of spaces may differ: a table whose column widths follow the numbers in it.
``<!-- console: columns N -->``
    the terminal width the output was made at (``COLUMNS=N``; the default is 100).
``<!-- console: before COMMAND -->``
    a command run first and not shown (say, making a weights file the example reads).
``<!-- console: slow -->``
    a long example (training): it runs in the slow group.
``<!-- console: skip REASON -->``
    not run, for the reason given (a server that never exits, a download).

In the expected output, a line that is only ``...`` stands for any number of lines (the docs cut
long output with it).  Trailing spaces and trailing blank lines are ignored.

Each document's examples run in order in one fresh folder (so ``cnnscope train ... --out runs/x``
feeds a later ``cnnscope runs runs/x``), with a copy of the repository's ``examples/`` in it (so
an example can never overwrite the real files) and scikit-learn's sample photo ``china.jpg``
beside it.  The documents share one report cache (it is keyed by content, so sharing is exact).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

DIRECTIVE = re.compile(r"<!--\s*console:\s*(\w+)\s*(.*?)\s*-->", re.S)
ELLIPSIS = "..."
VARIES = "<varies>"
DEFAULT_COLUMNS = 100


@dataclass
class Command:
    line: int  # 1-based line of the ``$`` in the Markdown file
    text: str
    expected: list[str]
    status: int | None  # from a trailing ``# N`` comment


def expects_failure(command: Command) -> bool:
    """No ``# N``: the documented output shows whether the command fails."""
    return any(line.startswith("cnnscope: error:") for line in command.expected)


@dataclass
class Options:
    vary: list[str] = field(default_factory=list)
    columns: int = DEFAULT_COLUMNS
    before: list[str] = field(default_factory=list)
    slow: bool = False
    skip: str | None = None
    tolerance: float = 0.0
    spacing: bool = False


def options_above(text: str, start: int) -> Options:
    """The ``<!-- console: ... -->`` directives directly above a block (only blank lines between)."""
    options = Options()
    head = text[:start].rstrip()
    found = []
    while head.endswith("-->"):
        opening = head.rfind("<!--")
        match = DIRECTIVE.fullmatch(head[opening:])
        if opening < 0 or match is None:
            break
        found.append(match.groups())
        head = head[:opening].rstrip()
    for name, argument in reversed(found):
        if name == "vary":
            options.vary += shlex.split(argument)
        elif name == "columns":
            options.columns = int(argument)
        elif name == "before":
            options.before.append(argument)
        elif name == "slow":
            options.slow = True
        elif name == "tolerance":
            options.tolerance = float(argument)
        elif name == "spacing":
            options.spacing = True
        elif name == "skip":
            options.skip = argument or "marked skip"
        else:
            raise ValueError(f"unknown console directive {name!r}")
    return options


_STATUS = re.compile(r"\s+#\s*(\d+)\s*$")


def commands(block: str, first_line: int) -> list[Command]:
    """The ``$`` commands of a console block and the output written under each."""
    result: list[Command] = []
    for offset, line in enumerate(block.splitlines()):
        if line.startswith("$ "):
            text = line[2:]
            status = _STATUS.search(text)
            result.append(Command(first_line + offset, text, [], int(status.group(1)) if status else None))
        elif result:
            result[-1].expected.append(line)
    return result


def normalised(lines: list[str], vary: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern in vary:
            line = re.sub(pattern, VARIES, line)
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], actual: list[str], tolerance: float = 0.0, spacing: bool = False) -> bool:
    """``expected`` equals ``actual``, a line ``...`` standing for any run of lines (none included);
    lines compare as ``same_line`` says."""
    def same(want: list[str], got: list[str]) -> bool:
        return len(want) == len(got) and all(same_line(w, g, tolerance, spacing) for w, g in zip(want, got))

    segments: list[list[str]] = [[]]
    for line in expected:
        if line == ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(line)
    if len(segments) == 1:
        return same(expected, actual)
    first, *middle, last = segments
    if not same(first, actual[:len(first)]) or len(actual) < len(first) + len(last):
        return False
    if last and not same(last, actual[len(actual) - len(last):]):
        return False
    position, end = len(first), len(actual) - len(last)
    for segment in middle:  # each in order, at its first place
        position = _find(actual, segment, position, end, same)
        if position < 0:
            return False
        position += len(segment)
    return True


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def same_line(expected: str, actual: str, tolerance: float = 0.0, spacing: bool = False) -> bool:
    """Equal; with ``spacing``, up to the width of runs of spaces; with ``tolerance``, numbers within
    ``tolerance`` of each other (relative) or one unit of the last printed digit apart."""
    if expected == actual:
        return True
    if not tolerance and not spacing:
        return False
    if not tolerance:
        return expected.split() == actual.split()
    skeleton = (lambda line: _NUMBER.sub("#", line).split()) if spacing else (lambda line: _NUMBER.sub("#", line))
    if skeleton(expected) != skeleton(actual):
        return False
    return all(_close(want, got, tolerance) for want, got in zip(_NUMBER.findall(expected), _NUMBER.findall(actual)))


def _close(want: str, got: str, tolerance: float) -> bool:
    a, b = float(want), float(got)
    mantissa = want.lower().split("e")[0]
    exponent = int(want.lower().split("e")[1]) if "e" in want.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    last_digit = 10.0 ** (exponent - decimals)
    return abs(a - b) <= max(tolerance * max(abs(a), abs(b)), last_digit * 1.000001)


def _find(lines: list[str], segment: list[str], start: int, end: int, same) -> int:
    for at in range(start, end - len(segment) + 1):
        if same(segment, lines[at:at + len(segment)]):
            return at
    return -1
