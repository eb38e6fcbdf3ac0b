"""The Explain page's panel for one unit: the numbers (value, sum, bias, check), the receptive field on
the image, the patch, kernel and products side by side, the formula with a legend of its letters, and
what each kind of row adds (a pool's window, batch norm's statistics, every class's probability)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnscope.app import explain_figures as figures
from cnnscope.app.plain_text import plain

ALL_NUMBERS = 75  # up to this many products the page lists every one; above, the largest and the rest's sum
TOP_SHOWN = 12

# What each letter of a formula means, per kind of row (the formula lines come from probes.unit).
LEGENDS = {
    "conv": ["y: this unit's output", "b: the bias of its output channel", "x: an input value under the kernel "
             "(0 in zero padding)", "w: the kernel's weight at the same tap", "k (ky, kx): the tap's place in the "
             "kernel", "out: this unit's position", "s: stride", "p: padding", "d: dilation"],
    "transposed_conv": ["y: this unit's output", "b: the bias of its channel", "x[i]: the input value at position i",
                        "w[k]: the kernel's weight at tap k", "out: this unit's position", "s: stride", "p: padding",
                        "d: dilation"],
    "max_pool": ["y: this unit's output", "window: the input cells the pool covers for this unit",
                 "max: the largest of them (the winner); padding cells never win"],
    "avg_pool": ["y: this unit's output", "window: the input cells the pool covers for this unit",
                 "divisor: how many cells the sum is divided by"],
    "adaptive_pool": ["y: this unit's output", "n: the input's size on an axis", "out: the output's size on it",
                      "o: this unit's position on it", "⌊ ⌋, ⌈ ⌉: round down, round up"],
    "batch_norm": ["x: the input at this position", "μ, σ²: the channel's mean and variance", "ε: a small constant "
                   "that keeps the division finite", "γ, β: the channel's learned scale and shift", "y: the output"],
    "activation": ["x: the input at this position", "y: the output at the same position"],
    "identity": ["x: the input at this position", "y: the output (the same number)"],
    "linear": ["y_j: output j (this unit)", "b_j: its bias", "x_i: input feature i", "W[j, i]: the weight from input "
               "i to output j", "Σ_i: the sum over every input feature"],
    "softmax": ["z_c: the logit (score) of class c", "p_c: its probability", "e: Euler's number, 2.718…",
                "Σ_k: the sum over every class", "max z: the largest logit, subtracted so that e^z cannot overflow"],
    "merge": ["a, b: the two inputs at this position", "y: the output at the same position"],
    "reshape": ["x: the input", "y: the output", "row-major: the last axis counts fastest"],
    "concat": ["y: the output", "input k: the k-th of the joined tensors"],
    "other": ["the op and its inputs' shapes; the value is the model's own"],
}


def number(value: float | None) -> str:
    """Eight significant digits: enough to compare with the model's float32 value."""
    return "—" if value is None else f"{value:.8g}"


def unit_text(unit) -> str:
    return "(" + ", ".join(map(str, unit)) + ")"


def legend(e) -> str:
    letters = list(LEGENDS.get(e.kind, LEGENDS["other"]))
    if "softmax" in e.details and e.kind != "softmax":
        letters += LEGENDS["softmax"]
    return "Legend: " + " · ".join(letters)


def check_words(e) -> str:
    """The check in words: the explained sum, torch's own op in float64, and the model's value."""
    c = e.check
    if c is None:
        return "No check: this row has no arithmetic to redo."
    verdict = ("they agree to within the model's own rounding" if c.ok else
               "they differ by more than the model's rounding explains")
    return (f"Check (float64): the explanation adds up to {number(e.sum)}; {e.op} redone by torch in float64 gives "
            f"{number(c.recomputed)}; the model produced {number(e.value)}. The difference is {c.difference:.3g} "
            f"(the rounding allows {c.tolerance:.3g}): {verdict}.")


def show_numbers(e) -> None:
    """The unit, its value, the explained sum, the bias and the count of terms, and the check."""
    st.subheader(f"Unit {unit_text(e.unit)} of layer {plain(e.layer)}")
    out = "×".join(map(str, e.output_shape))
    inp = "×".join(map(str, e.input_shape))
    st.caption(f"{e.kind.replace('_', ' ')} row ({e.op}): input {inp} → output {out}")
    value, total = st.columns(2)
    bias, terms = st.columns(2)
    value.metric("Value (the model)", number(e.value), help="the row's output at this unit, as the model computed it")
    total.metric("Sum (explained)", number(e.sum), help="worked out in float64 from the row's own inputs and weights")
    weighted = e.kind in ("conv", "transposed_conv", "linear")
    bias.metric("Bias", "none" if e.bias is None and weighted else number(e.bias),
                help="added once, after the products" if weighted else "this kind of row has no bias")
    terms.metric("Terms", "—" if e.terms is None else f"{e.terms:,}", help="how many products (or window cells)")
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
    return rf_overlay.draw(picture.convert("RGB"), (top, left, bottom, right), None, None, f"field {size} px", centre)


def field_caption(e) -> str:
    if e.field is None:
        return plain(e.field_note) or "no receptive field"
    rows = " × ".join(f"{lo}..{hi}" for lo, hi in e.field)
    clipped = "" if e.clipped == e.field else (
        " (inside the image: " + " × ".join(f"{lo}..{hi}" for lo, hi in e.clipped) + ")" if e.clipped else
        " (wholly outside the image)")
    return (f"Receptive field (the red box; the dot marks its centre): input pixels {rows} (rows × columns)"
            f"{clipped}. {plain(e.field_note)}").strip()


def shown_channel(e, key: str) -> int:
    """The input channel whose patch, kernel and products are drawn: a select box when there are several,
    first set to the channel that contributes most (it moves there again when the unit changes)."""
    channels = [c for c, _ in e.channels]
    if len(channels) <= 1:
        return 0
    sums = dict(e.channels)
    strongest = max(channels, key=lambda c: abs(sums[c]))
    mark = (e.layer, e.unit)
    if st.session_state.get(f"{key}_for") != mark or st.session_state.get(key) not in channels:
        st.session_state[f"{key}_for"] = mark
        st.session_state[key] = strongest
    picked = st.selectbox(f"Input channel drawn (of {len(channels)})", channels, key=key,
                          format_func=lambda c: f"{c}: sum {sums[c]:.4g}" + (" (largest |sum|)" * (c == strongest)),
                          help="a kernel has one slice per input channel; the products of every channel add up")
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
                (middle, "patch", "input patch x", "the inputs under the kernel (0 in zero padding)"),
                (right, "kernel", "kernel w", "this output channel's weights for that input channel")):
            with column:
                st.plotly_chart(figures.small_heat(planes[name], title), key=f"{key}_{name}", config=figures.CONFIG)
                st.caption(caption)
        products, table = st.columns([1, 2])
        with products:
            st.plotly_chart(figures.small_heat(planes["products"], "products x·w"), key=f"{key}_products",
                            config=figures.CONFIG)
            st.caption("input times weight, cell by cell")
        with table:
            show_terms(e)
    else:
        if window is not None:
            grid, marked, (y0, x0) = window
            with middle:
                st.plotly_chart(figures.small_heat(grid, f"window (from input {y0}, {x0})", "x", "y", marked),
                                key=f"{key}_window", config=figures.CONFIG)
            with right:
                _window_words(e)
        show_terms(e)
    show_details(e)


def _window_words(e) -> None:
    if e.kind == "max_pool" and "winner" in e.details:
        winner = e.details["winner"]
        st.markdown(f"**Winner**: {number(winner['input'])} at input {unit_text(winner['at'])} (framed in green)")
    elif "divisor" in e.details:
        cells = [c["input"] for c in e.details["window"]]
        st.markdown(f"**Mean**: {number(float(np.sum(cells)))} / {e.details['divisor']} = {number(e.sum)}")
    else:
        st.markdown(f"**{'Max' if 'max' in e.op else 'Mean'}** of {e.terms} cells = {number(e.sum)}")


def show_terms(e) -> None:
    """Every product for small sums; the largest ones and the other terms' exact sum for big ones."""
    if not e.top:
        return
    every = e.terms is not None and e.terms <= ALL_NUMBERS
    listed = e.top if every else e.top[:TOP_SHOWN]
    others = (e.rest[0] + len(e.top) - len(listed), e.rest[1] + sum(t.product for t in e.top[len(listed):]))
    conv = e.kind in ("conv", "transposed_conv")
    rows = [({"input channel": t.channel, "tap": unit_text(t.tap), "at": unit_text(t.at)} if conv else
             {"input i": t.channel}) | {"input x": t.input, "weight w": t.weight, "product x·w": t.product}
            for t in listed]
    title = "Every product" if every else f"The {len(listed)} largest products (by |x·w|)"
    st.markdown(f"**{title}**, largest |x·w| first")
    st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * len(rows) + 40, 400))
    shown_sum = sum(t.product for t in listed)
    line = f"Σ of these {len(listed):,} products = {number(shown_sum)}"
    if others[0]:
        line += f"; the other {others[0]:,} terms sum to {number(others[1])}"
    line += f"; + bias {number(e.bias)} = **{number(e.sum)}**" if e.bias is not None else \
        f"; no bias (the row has none) = **{number(e.sum)}**"
    st.markdown(line)
    if conv and len(e.channels) > 1:
        strongest = sorted(e.channels, key=lambda item: -abs(item[1]))[:TOP_SHOWN]
        st.caption("Sum per input channel (largest |sum| first): "
                   + ", ".join(f"{c}: {s:.4g}" for c, s in strongest) + (" …" if len(e.channels) > TOP_SHOWN else ""))


def show_details(e) -> None:
    if e.kind == "batch_norm":
        d = e.details
        st.markdown(f"x = {number(d['input'])} · μ = {number(d['mean'])} · σ² = {number(d['var'])} · "
                    f"ε = {d['eps']:g} · "
                    f"γ = {number(d['weight'])} · β = {number(d['bias'])} ({d['statistics']} statistics)")
    probabilities = e.details.get("softmax")
    if probabilities:
        st.markdown("**Every class's probability** (softmax of the logits)")
        rows = [{"class": r["class"], "name": r["name"], "logit z": r["logit"], "probability": r["probability"]}
                for r in probabilities]
        st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * len(rows) + 40, 400),
                     column_config={"probability": st.column_config.ProgressColumn(
                         "probability", min_value=0.0, max_value=1.0, format="%.4f")})
