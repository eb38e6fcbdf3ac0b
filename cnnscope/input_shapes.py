"""Input shapes written as text (``3,224,224``, ``1x3x224x224``, several joined by ``;``).

Shared by the command line (``--input``) and the app's input box.  Imports no torch.
"""

from __future__ import annotations

from cnnscope.errors import UsageError
from cnnscope.i18n import _


def parse_input_shape(text: str) -> list[tuple[int, ...]]:
    """``"1,3,224,224"``, ``"3x224x224"`` or several joined by ``;`` -> shapes; C,H,W gets a batch of 1."""
    shapes = []
    if not text.replace(" ", "").replace(";", ""):
        raise UsageError(_("--input is empty: expected a shape such as 3,224,224"))
    for part in text.replace(" ", "").split(";"):
        if not part:
            raise UsageError(_("--input {text!r}: an empty shape between or after ';'; expected shapes such as "
                               "1,3,224,224;1,10").format(text=text))
        fields = part.replace("x", ",").replace("×", ",").split(",")
        try:
            shape = tuple(int(f) for f in fields)
        except ValueError:
            raise UsageError(_("--input {text!r}: expected integers such as 3,224,224 or 1,3,224,224").format(
                                 text=text)) from None
        if any(s < 1 for s in shape):
            raise UsageError(_("--input {text!r}: sizes must be positive, e.g. 3,224,224 or 1,3,224,224").format(
                                 text=text))
        if len(shape) < 2:
            raise UsageError(_("--input {text!r}: a shape needs at least two numbers, e.g. 3,224,224 or 1,3,224,224").format(
                                 text=text))
        # Three numbers are C,H,W: add the batch dimension.
        shapes.append((1, *shape) if len(shape) == 3 else shape)
    if not shapes:
        raise UsageError(_("--input is empty: expected a shape such as 3,224,224"))
    return shapes
