"""``cnnscope code``: standalone PyTorch source for a spec."""

from __future__ import annotations

from cnnscope.cli.common import add_input, add_output, input_shapes
from cnnscope.cli.output import emit
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    code = subparsers.add_parser("code", help=_("standalone PyTorch source for a spec file or one-line spec"))
    code.add_argument("spec", help=_("a .yaml/.yml/.json spec file, or a one-line spec such as "
                                     "'in1x28x28,c5-6p2,tanh,ap2,flat,fc10'"))
    add_input(code, _("C,H,W overriding the spec's input"))
    add_output(code, _("write the source to FILE (atomically)"))


def run(args) -> int:
    from cnnscope.errors import UsageError
    from cnnscope.spec.codegen import generate_code
    from cnnscope.spec.compact import looks_compact
    from cnnscope.spec.load import is_spec_file

    if not (is_spec_file(args.spec) or looks_compact(args.spec)):
        raise UsageError(_("{spec!r} is not a spec: give a .yaml/.yml/.json file or a one-line spec").format(
                             spec=args.spec))
    shape = (input_shapes(args) or [None])[0]
    chw = shape[1:] if shape and len(shape) == 4 else shape
    emit(generate_code(args.spec, input_shape=chw), args.output)
    return 0
