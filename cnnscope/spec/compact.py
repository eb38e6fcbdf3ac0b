"""The one-line spec form for the command line, e.g. ``"in1x28x28,c5-6p2,tanh,ap2,c5-16,tanh,ap2,flat,fc10"``.

Grammar (documented in docs/spec.md)::

    spec   := [ 'in' C 'x' H 'x' W ',' ] items
    items  := item (',' item)*
    item   := '(' items ')' '*' N          repeat N times
            | 'res(' items [';' items] ')'  residual: layers [; shortcut]
            | 'cat(' items ('|' items)+ ')' concat of branches
            | token
    token  := c<k>[x<k>]-<out>[s<n>][p<n>|ps][d<n>][g<n>][nb]   conv (ps: 'same' padding, nb: no bias)
            | ct<k>-<out>[s<n>][p<n>]                            transposed conv
            | mp<k>[s<n>][p<n>] | ap<k>[s<n>][p<n>]               max / average pool
            | gap | aap<n> | amp<n>                              adaptive pools (gap = to 1×1)
            | fc<out> | bn | relu | lrelu | tanh | sigmoid | gelu | silu | id | flat | do[<p>]

It is parsed into the same data a YAML spec holds and validated by the same schema; nothing
is evaluated.
"""

from __future__ import annotations

import re

from cnnscope.errors import SpecError
from cnnscope.i18n import N_, _

_SIMPLE = {"bn": "batchnorm", "relu": "relu", "lrelu": "leakyrelu", "tanh": "tanh", "sigmoid": "sigmoid",
           "sig": "sigmoid", "gelu": "gelu", "silu": "silu", "id": "identity", "flat": "flatten",
           "flatten": "flatten"}
_CONV = re.compile(r"^(ct|c)(\d+)(?:x(\d+))?-(\d+)((?:s\d+|ps|p\d+|d\d+|g\d+|nb)*)$")
_POOL = re.compile(r"^(mp|ap)(\d+)((?:s\d+|p\d+)*)$")
_OPTION = re.compile(r"(s|p|d|g)(\d+)|(ps)|(nb)")
_INPUT = re.compile(r"^in(\d+)x(\d+)x(\d+)$")

MAX_LENGTH = 10_000


def looks_compact(text: str) -> bool:
    return "," in text or "(" in text or bool(_INPUT.match(text)) or bool(_CONV.match(text))


def parse(text: str, name: str = "model") -> dict:
    """One-line spec -> the dict a YAML spec would hold (``input`` may be absent)."""
    if len(text) > MAX_LENGTH:
        raise SpecError(_("the one-line spec is longer than {MAX_LENGTH} characters").format(MAX_LENGTH=MAX_LENGTH))
    parser = _Parser(text)
    data: dict = {"name": name}
    first = parser.peek_token()
    match = _INPUT.match(first or "")
    if match:
        parser.take_token()
        data["input"] = [int(g) for g in match.groups()]
        parser.expect(",")
    data["layers"] = parser.items(end="")
    return data


EXAMPLE = "in1x28x28,c5-6p2,tanh,ap2,flat,fc10"
SEPARATORS = N_("layers are separated by commas, e.g. {example}")  # a message: _(SEPARATORS).format(example=EXAMPLE)


class _Parser:
    """Parses the text with its spaces removed; messages quote the text and its tokens as typed."""

    def __init__(self, text: str):
        self.typed = text
        self.where = [k for k, char in enumerate(text) if char != " "]  # position without spaces -> as typed
        self.text, self.pos = text.replace(" ", ""), 0

    def typed_at(self, pos: int) -> int:
        return self.where[pos] if pos < len(self.where) else len(self.typed)

    def typed_token(self, token: str) -> str:
        """``token`` (which ends at ``self.pos``) as it was typed, spaces included: 'conv 6 5', not 'conv65'."""
        if not token:
            return token
        return self.typed[self.typed_at(self.pos - len(token)):self.typed_at(self.pos - 1) + 1]

    def error(self, message: str, fix: str = "") -> SpecError:
        """``message`` and ``fix`` come translated; the place is a sentence of its own."""
        where = dict(problem=message, position=self.typed_at(self.pos) + 1, text=repr(self.typed))
        if fix:
            return SpecError(_("{problem} at character {position} of {text}: {fix}").format(fix=fix, **where))
        return SpecError(_("{problem} at character {position} of {text}").format(**where))

    def peek_token(self) -> str:
        match = re.match(r"[A-Za-z0-9.\-]+", self.text[self.pos:])
        return match.group(0) if match else ""

    def take_token(self) -> str:
        token = self.peek_token()
        self.pos += len(token)
        return token

    def expect(self, char: str) -> None:
        if not self.text.startswith(char, self.pos):
            found = repr(self.text[self.pos] if self.pos < len(self.text) else _("the end"))
            raise self.error(_("expected {char}, found {found}").format(char=repr(char), found=found))
        self.pos += 1

    def items(self, end: str, stop: str = "") -> list:
        result = [self.item()]
        while self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            result.append(self.item())
        if end == "" and self.pos != len(self.text):
            if self.text[self.pos] == "|":
                raise self.error(_("unexpected '|'"), _("'|' is not a separator (it splits the branches of cat(...)); "
                                                        "{separators}").format(separators=_separators()))
            raise self.error(_("unexpected {char}").format(char=repr(self.text[self.pos])))
        return result

    def item(self):
        if self.text.startswith("(", self.pos):
            self.pos += 1
            body = self.items(end=")")
            self.expect(")")
            self.expect("*")
            count = self.take_token()
            if not count.isdigit():
                raise self.error(_("expected a repeat count after '*'"))
            return {"repeat": {"times": int(count), "layers": body}}
        token = self.peek_token()
        if token in ("res", "cat") and self.text.startswith("(", self.pos + len(token)):
            self.pos += len(token) + 1
            if token == "res":
                layers = self.items(end=")")
                block = {"layers": layers}
                if self.text.startswith(";", self.pos):
                    self.pos += 1
                    block["shortcut"] = self.items(end=")")
                self.expect(")")
                return {"residual": block}
            branches = [self.items(end=")")]
            while self.text.startswith("|", self.pos):
                self.pos += 1
                branches.append(self.items(end=")"))
            self.expect(")")
            return {"concat": {"branches": branches}}
        if not token:
            found = repr(self.text[self.pos] if self.pos < len(self.text) else _("the end"))
            raise self.error(_("expected a layer, found {found}").format(found=found))
        self.pos += len(token)
        return _layer(token, self)


def _layer(token: str, parser: _Parser):
    if token in _SIMPLE:
        return _SIMPLE[token]
    if token == "gap":
        return {"adaptiveavgpool": {"size": 1}}
    for prefix, kind in (("aap", "adaptiveavgpool"), ("amp", "adaptivemaxpool")):
        if token.startswith(prefix) and token[len(prefix):].isdigit():
            return {kind: {"size": int(token[len(prefix):])}}
    if token.startswith("fc") and token[2:].isdigit():
        return {"linear": {"out": int(token[2:])}}
    if token.startswith("do"):
        rest = token[2:]
        if not rest:
            return "dropout"
        try:
            return {"dropout": {"p": float(rest)}}
        except ValueError:
            raise parser.error(_("dropout wants a probability such as do0.5, got {token}").format(token=repr(token))) from None
    match = _CONV.match(token)
    if match:
        kind, kh, kw, out, options = match.groups()
        args: dict = {"out": int(out), "kernel": [int(kh), int(kw or kh)]}
        for key, number, same, nobias in _OPTION.findall(options):
            if same:
                args["padding"] = "same"
            elif nobias:
                args["bias"] = False
            else:
                args[{"s": "stride", "p": "padding", "d": "dilation", "g": "groups"}[key]] = int(number)
        return {"convtranspose" if kind == "ct" else "conv": args}
    match = _POOL.match(token)
    if match:
        kind, kernel, options = match.groups()
        args = {"kernel": int(kernel)}
        for key, number, _unused, _unused in _OPTION.findall(options):
            args[{"s": "stride", "p": "padding"}[key]] = int(number)
        return {"maxpool" if kind == "mp" else "avgpool": args}
    import difflib

    typed = parser.typed_token(token)
    parser.pos -= len(token)  # point at the token's start, as typed
    fix = _FULL_WORDS.get(re.match(r"[a-z]*", token.lower()).group(0), "")
    fix = _(fix) if fix else ""  # not _(""): gettext gives the catalog's header for the empty id
    if fix:  # a layer written as the YAML names it ('conv 6 5', 'maxpool2'): the token syntax and an example
        rest = parser.text[parser.pos + len(token):]
        stray_bar = rest.startswith("|") and "cat(" not in parser.text
        unknown = _("unknown layer token {token}").format(token=repr(typed))
        if stray_bar:
            raise parser.error(unknown, _("{fix}; '|' is not a separator (it splits the branches of cat(...)); "
                                          "{separators}").format(fix=fix, separators=_separators()))
        raise parser.error(unknown, _("{fix}; {separators}").format(fix=fix, separators=_separators()))
    known = ["c3-64", "ct2-32", "mp2", "ap2", "gap", "aap7", "fc10", "do0.5", *_SIMPLE]
    close = difflib.get_close_matches(token, known, n=1)
    hint = _(' (did you mean "{name}"?)').format(name=close[0]) if close else ""
    raise parser.error(_("unknown layer token {token}").format(token=repr(typed)) + hint, "" if close else
                       _("write a conv as c<kernel>-<out> (c5-6), a pool as mp2 or ap2, a linear layer as fc10; "
                         "{separators}").format(separators=_separators()))


def _separators() -> str:
    return _(SEPARATORS).format(example=EXAMPLE)


_CONV_FIX = N_("write a conv as c<kernel>-<out>, e.g. c5-6p2 (kernel 5, 6 channels, padding 2)")
_MAX_FIX = N_("write a max-pool as mp<kernel>, e.g. mp2")
_AVG_FIX = N_("write an average pool as ap<kernel>, e.g. ap2")
_LINEAR_FIX = N_("write a linear layer as fc<out>, e.g. fc10")
_FULL_WORDS = {"conv": _CONV_FIX, "convolution": _CONV_FIX, "maxpool": _MAX_FIX, "max": _MAX_FIX,
               "avgpool": _AVG_FIX, "avg": _AVG_FIX, "linear": _LINEAR_FIX, "dense": _LINEAR_FIX, "fc": _LINEAR_FIX,
               "dropout": N_("write a dropout as do<p>, e.g. do0.5"), "batchnorm": N_("write a batch norm as bn")}
