"""The Explain page's panel for one unit: the numbers (value, sum, bias, check), the receptive field on
the image, the patch, kernel and products side by side, the formula with a legend of its letters, and
what each kind of row adds (a pool's window, batch norm's statistics, every class's probability)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnscope.app import explain_figures as figures
from cnnscope.app.pages import in_language
from cnnscope.app.plain_text import plain
from cnnscope.i18n import N_, _

ALL_NUMBERS = 75  # up to this many products the page lists every one; above, the largest and the rest's sum
TOP_SHOWN = 12

# What each letter of a formula means, per kind of row (the formula lines come from probes.unit).
LEGENDS = {
    "conv": [N_("y: this unit's output"), N_("b: the bias of its output channel"),
             N_("x: an input value under the kernel (0 in zero padding)"), N_("w: the kernel's weight at the same tap"),
             N_("k (ky, kx): the tap's place in the kernel"), N_("out: this unit's position"), N_("s: stride"),
             N_("p: padding"), N_("d: dilation")],
    "transposed_conv": [N_("y: this unit's output"), N_("b: the bias of its channel"),
                        N_("x[i]: the input value at position i"), N_("w[k]: the kernel's weight at tap k"),
                        N_("out: this unit's position"), N_("s: stride"), N_("p: padding"), N_("d: dilation")],
    "max_pool": [N_("y: this unit's output"), N_("window: the input cells the pool covers for this unit"),
                 N_("max: the largest of them (the winner); padding cells never win")],
    "avg_pool": [N_("y: this unit's output"), N_("window: the input cells the pool covers for this unit"),
                 N_("divisor: how many cells the sum is divided by")],
    "adaptive_pool": [N_("y: this unit's output"), N_("n: the input's size on an axis"),
                      N_("out: the output's size on it"), N_("o: this unit's position on it"),
                      N_("⌊ ⌋, ⌈ ⌉: round down, round up")],
    "batch_norm": [N_("x: the input at this position"), N_("μ, σ²: the channel's mean and variance"),
                   N_("ε: a small constant that keeps the division finite"),
                   N_("γ, β: the channel's learned scale and shift"), N_("y: the output")],
    "activation": [N_("x: the input at this position"), N_("y: the output at the same position")],
    "identity": [N_("x: the input at this position"), N_("y: the output (the same number)")],
    "linear": [N_("y_j: output j (this unit)"), N_("b_j: its bias"), N_("x_i: input feature i"),
               N_("W[j, i]: the weight from input i to output j"), N_("Σ_i: the sum over every input feature")],
    "softmax": [N_("z_c: the logit (score) of class c"), N_("p_c: its probability"), N_("e: Euler's number, 2.718…"),
                N_("Σ_k: the sum over every class"),
                N_("max z: the largest logit, subtracted so that e^z cannot overflow")],
    "merge": [N_("a, b: the two inputs at this position"), N_("y: the output at the same position")],
    "reshape": [N_("x: the input"), N_("y: the output"), N_("row-major: the last axis counts fastest")],
    "concat": [N_("y: the output"), N_("input k: the k-th of the joined tensors")],
    "other": [N_("the op and its inputs' shapes; the value is the model's own")],
}
# The kinds of row as the page names them (UnitExplanation.kind).
KIND_NAMES = {"conv": N_("convolution"), "transposed_conv": N_("transposed convolution"), "max_pool": N_("max pool"),
              "avg_pool": N_("average pool"), "adaptive_pool": N_("adaptive pool"), "batch_norm": N_("batch norm"),
              "activation": N_("activation"), "identity": N_("identity"), "linear": N_("linear"),
              "softmax": N_("softmax"), "merge": N_("merge"), "reshape": N_("reshape"), "concat": N_("concat"),
              "other": N_("other")}


def number(value: float | None) -> str:
    """Eight significant digits: enough to compare with the model's float32 value."""
    return "—" if value is None else f"{value:.8g}"


def unit_text(unit) -> str:
    return "(" + ", ".join(map(str, unit)) + ")"


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind.replace("_", " ")


def legend(e) -> str:
    letters = list(LEGENDS.get(e.kind, LEGENDS["other"]))
    if "softmax" in e.details and e.kind != "softmax":
        letters += LEGENDS["softmax"]
    return _("Legend: {letters}").format(letters=" · ".join(_(letter) for letter in letters))


def check_words(e) -> str:
    """The check in words: the explained sum, torch's own op in float64, and the model's value."""
    c = e.check
    if c is None:
        return _("No check: this row has no arithmetic to redo.")
    text = (N_("Check (float64): the explanation adds up to {sum}; {op} redone by torch in float64 gives {recomputed}; "
               "the model produced {value}. The difference is {difference} (the rounding allows {tolerance}): they "
               "agree to within the model's own rounding.") if c.ok else
            N_("Check (float64): the explanation adds up to {sum}; {op} redone by torch in float64 gives {recomputed}; "
               "the model produced {value}. The difference is {difference} (the rounding allows {tolerance}): they "
               "differ by more than the model's rounding explains."))
    return _(text).format(sum=number(e.sum), op=e.op, recomputed=number(c.recomputed), value=number(e.value),
                          difference=f"{c.difference:.3g}", tolerance=f"{c.tolerance:.3g}")


def show_numbers(e) -> None:
    """The unit, its value, the explained sum, the bias and the count of terms, and the check."""
    st.subheader(_("Unit {unit} of layer {layer}").format(unit=unit_text(e.unit), layer=plain(e.layer)))
    out = "×".join(map(str, e.output_shape))
    inp = "×".join(map(str, e.input_shape))
    st.caption(_("{kind} row ({op}): input {input} → output {output}").format(kind=kind_name(e.kind), op=e.op,
                                                                            input=inp, output=out))
    value, total = st.columns(2)
    bias, terms = st.columns(2)
    value.metric(_("Value (the model)"), number(e.value),
                 help=_("the row's output at this unit, as the model computed it"))
    total.metric(_("Sum (explained)"), number(e.sum),
                 help=_("worked out in float64 from the row's own inputs and weights"))
    weighted = e.kind in ("conv", "transposed_conv", "linear")
    bias.metric(_("Bias"), _("none") if e.bias is None and weighted else number(e.bias),
                help=_("added once, after the products") if weighted else _("this kind of row has no bias"))
    terms.metric(_("Terms"), "—" if e.terms is None else f"{e.terms:,}", help=_("how many products (or window cells)"))
    (st.success if e.check is None or e.check.ok else st.warning)(check_words(e))


def show_formula(e) -> None:
    st.code("\n".join(e.formula), language=None, wrap_lines=True)
    st.caption(legend(e))
    for note in e.notes:
        st.caption(plain(note))


def field_picture(e, picture):
    """The receptive field drawn on the image the model saw (a PIL picture), or None with a reason."""
    if e.field is None or len(e.field) != 2 or picture is None:
        return None
    from cnnscope.vis import rf_overlay

    (top, bottom), (left, right) = e.field
    size = f"{bottom - top + 1}×{right - left + 1}"
    centre = ((top + bottom) // 2, (left + right) // 2)
    return rf_overlay.draw(picture.convert("RGB"), (top, left, bottom, right), None, None,
                           _("field {size} px").format(size=size), centre)


def field_caption(e) -> str:
    if e.field is None:
        return plain(_(e.field_note)) if e.field_note else _("no receptive field")
    rows = " × ".join(f"{lo}..{hi}" for lo, hi in e.field)
    note = plain(_(e.field_note)) if e.field_note else ""
    if e.clipped == e.field:
        text = _("Receptive field (the red box; the dot marks its centre): input pixels {rows} (rows × columns). "
                 "{note}").format(rows=rows, note=note)
    elif e.clipped:
        text = _("Receptive field (the red box; the dot marks its centre): input pixels {rows} (rows × columns) "
                 "(inside the image: {inside}). {note}").format(
            rows=rows, inside=" × ".join(f"{lo}..{hi}" for lo, hi in e.clipped), note=note)
    else:
        text = _("Receptive field (the red box; the dot marks its centre): input pixels {rows} (rows × columns) "
                 "(wholly outside the image). {note}").format(rows=rows, note=note)
    return text.strip()


def shown_channel(e, key: str) -> int:
    """The input channel whose patch, kernel and products are drawn: a select box when there are several,
    first set to the channel that contributes most (it moves there again when the unit changes)."""
    channels = [c for c, unused in e.channels]
    if len(channels) <= 1:
        return 0
    sums = dict(e.channels)
    strongest = max(channels, key=lambda c: abs(sums[c]))
    mark = (e.layer, e.unit)
    if st.session_state.get(f"{key}_for") != mark or st.session_state.get(key) not in channels:
        st.session_state[f"{key}_for"] = mark
        st.session_state[key] = strongest
    picked = st.selectbox(_("Input channel drawn (of {n})").format(n=len(channels)), channels, key=key,
                          format_func=in_language(lambda c: (_("{c}: sum {sum} (largest |sum|)") if c == strongest
                                                             else _("{c}: sum {sum}")).format(c=c,
                                                                                              sum=f"{sums[c]:.4g}")),
                          help=_("a kernel has one slice per input channel; the products of every channel add up"))
    return channels.index(picked)


def show_arithmetic(e, picture, key: str) -> None:
    """Side by side (stacked on a phone): the field on the image, then the kind's own pictures."""
    planes = None
    if e.kind in ("conv", "transposed_conv"):
        planes = figures.kernel_planes(e, shown_channel(e, f"{key}_in_channel"))
    window = figures.window_grid(e)
    left, middle, right = st.columns(3)  # stacked on a phone
    with left:
        drawn = field_picture(e, picture)
        if drawn is not None:
            st.image(drawn, width="stretch")
        st.caption(field_caption(e))
    if planes is not None:
        for column, name, title, caption in (
                (middle, "patch", N_("input patch x"), N_("the inputs under the kernel (0 in zero padding)")),
                (right, "kernel", N_("kernel w"), N_("this output channel's weights for that input channel"))):
            with column:
                st.plotly_chart(figures.small_heat(planes[name], _(title)), key=f"{key}_{name}", config=figures.CONFIG)
                st.caption(_(caption))
        products, table = st.columns([1, 2])
        with products:
            st.plotly_chart(figures.small_heat(planes["products"], _("products x·w")), key=f"{key}_products",
                            config=figures.CONFIG)
            st.caption(_("input times weight, cell by cell"))
        with table:
            show_terms(e)
    else:
        if window is not None:
            grid, marked, (y0, x0) = window
            with middle:
                st.plotly_chart(figures.small_heat(grid, _("window (from input {y}, {x})").format(y=y0, x=x0), "x", "y",
                                                   marked),
                                key=f"{key}_window", config=figures.CONFIG)
            with right:
                _window_words(e)
        show_terms(e)
    show_details(e)


def _window_words(e) -> None:
    if e.kind == "max_pool" and "winner" in e.details:
        winner = e.details["winner"]
        st.markdown(_("**Winner**: {value} at input {at} (framed in green)").format(value=number(winner["input"]),
                                                                                    at=unit_text(winner["at"])))
    elif "divisor" in e.details:
        cells = [c["input"] for c in e.details["window"]]
        st.markdown(_("**Mean**: {total} / {divisor} = {mean}").format(
            total=number(float(np.sum(cells))), divisor=e.details["divisor"], mean=number(e.sum)))
    else:
        text = N_("**Max** of {n} cells = {value}") if "max" in e.op else N_("**Mean** of {n} cells = {value}")
        st.markdown(_(text).format(n=e.terms, value=number(e.sum)))


def show_terms(e) -> None:
    """Every product for small sums; the largest ones and the other terms' exact sum for big ones."""
    if not e.top:
        return
    every = e.terms is not None and e.terms <= ALL_NUMBERS
    listed = e.top if every else e.top[:TOP_SHOWN]
    others = (e.rest[0] + len(e.top) - len(listed), e.rest[1] + sum(t.product for t in e.top[len(listed):]))
    conv = e.kind in ("conv", "transposed_conv")
    rows = [({_("input channel"): t.channel, _("tap"): unit_text(t.tap), _("at"): unit_text(t.at)} if conv else
             {_("input i"): t.channel}) | {_("input x"): t.input, _("weight w"): t.weight, _("product x·w"): t.product}
            for t in listed]
    st.markdown(_("**Every product**, largest |x·w| first") if every else
                _("**The {n} largest products (by |x·w|)**, largest |x·w| first").format(n=len(listed)))
    st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * len(rows) + 40, 400))
    shown_sum = sum(t.product for t in listed)
    parts = [_("Σ of these {n} products = {sum}").format(n=f"{len(listed):,}", sum=number(shown_sum))]
    if others[0]:
        parts.append(_("the other {n} terms sum to {sum}").format(n=f"{others[0]:,}", sum=number(others[1])))
    parts.append(_("+ bias {bias} = **{total}**").format(bias=number(e.bias), total=number(e.sum))
                 if e.bias is not None else _("no bias (the row has none) = **{total}**").format(total=number(e.sum)))
    st.markdown("; ".join(parts))
    if conv and len(e.channels) > 1:
        strongest = sorted(e.channels, key=lambda item: -abs(item[1]))[:TOP_SHOWN]
        st.caption(_("Sum per input channel (largest |sum| first): {sums}").format(
            sums=", ".join(f"{c}: {s:.4g}" for c, s in strongest) + (" …" if len(e.channels) > TOP_SHOWN else "")))


def show_details(e) -> None:
    if e.kind == "batch_norm":
        d = e.details
        st.markdown(f"x = {number(d['input'])} · μ = {number(d['mean'])} · σ² = {number(d['var'])} · "
                    f"ε = {d['eps']:g} · "
                    f"γ = {number(d['weight'])} · β = {number(d['bias'])} "
                    + (_("(running statistics)") if d["statistics"] == "running" else _("(this batch's statistics)")))
    probabilities = e.details.get("softmax")
    if probabilities:
        st.markdown(_("**Every class's probability** (softmax of the logits)"))
        probability = _("probability")
        rows = [{_("class"): r["class"], _("name"): r["name"], _("logit z"): r["logit"], probability: r["probability"]}
                for r in probabilities]
        st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * len(rows) + 40, 400),
                     column_config={probability: st.column_config.ProgressColumn(
                         probability, min_value=0.0, max_value=1.0, format="%.4f")})
