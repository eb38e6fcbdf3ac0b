"""Conv arithmetic: a square convolution's kernel sliding over its padded input, one frame per output cell,
with the output-size formula worked out (cnnscope.studies.arithmetic, drawn by cnnscope.vis.conv_animation).
The page does not use the sidebar's model."""

from __future__ import annotations

import streamlit as st

from cnnscope.app.pages import in_language
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _, language
from cnnscope.studies.arithmetic import CLASSIC, LEGEND, MAX_SIZE, describe, plan

OWN = N_("(your own settings)")
DEFAULTS = dict(arith_size=5, arith_kernel=3, arith_stride=1, arith_padding=1, arith_dilation=1,
                arith_transposed=False, arith_output_padding=0)
LATEX = {False: r"\text{out} = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1",
         True: r"\text{out} = (n - 1)\,s - 2p + d(k-1) + \text{output\_padding} + 1"}


def render(choice) -> None:
    st.header(_("Convolution arithmetic"))
    st.caption(_("One frame per output cell: the kernel's taps on the padded input, and the output cell they make. "
                 "The classic cases are the figures of Dumoulin & Visin, “A guide to convolution arithmetic for deep "
                 "learning”; a transposed convolution is drawn as the direct convolution over its zero-inserted, "
                 "padded input. This page does not use the sidebar's model."))
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.selectbox(_("Classic case"), [OWN, *(c.name for c in CLASSIC)], key="arith_case", on_change=_fill_case,
                 format_func=in_language(_))
    columns = st.columns(4)
    columns[0].number_input(_("Input size n"), 1, MAX_SIZE, step=1, key="arith_size", on_change=_own)
    columns[1].number_input(_("Kernel k"), 1, 64, step=1, key="arith_kernel", on_change=_own)
    columns[2].number_input(_("Stride s"), 1, 16, step=1, key="arith_stride", on_change=_own)
    columns[3].number_input(_("Padding p"), 0, 64, step=1, key="arith_padding", on_change=_own)
    columns = st.columns(4)
    columns[0].number_input(_("Dilation d"), 1, 16, step=1, key="arith_dilation", on_change=_own)
    columns[1].checkbox(_("Transposed"), key="arith_transposed", on_change=_own)
    columns[2].number_input(_("Output padding"), 0, 15, step=1, key="arith_output_padding", on_change=_own,
                            help=_("transposed only: extra cells on the far side; smaller than the stride or the "
                                   "dilation"))
    state = st.session_state
    settings = (int(state.arith_size), int(state.arith_kernel), int(state.arith_stride), int(state.arith_padding),
                int(state.arith_dilation), bool(state.arith_transposed), int(state.arith_output_padding))
    st.latex(LATEX[settings[5]])
    st.caption(_(LEGEND))
    try:
        shown = plan(*settings)
    except CnnscopeError as error:
        st.error(str(error))
        return
    if shown.name:
        st.markdown(_("Worked out: `{worked}`  ({n} frames; the classic case *{name}*)").format(
            worked=shown.worked, n=len(shown.frames), name=_(shown.name)))
    else:
        st.markdown(_("Worked out: `{worked}`  ({n} frames)").format(worked=shown.worked, n=len(shown.frames)))
    with st.spinner(_("Drawing the frames…")):
        page, gif, height = _player(settings, language())
    # st.iframe: the successor of st.components.v1.html (deprecated in this Streamlit), the same sandboxed frame
    st.iframe(page, height=height, alt=_("convolution arithmetic player"))
    name = "arithmetic-" + "-".join(f"{letter}{value}" for letter, value in zip("nkspd", settings)) \
        + ("-transposed" if settings[5] else "") + ".gif"
    st.download_button(_("Download the GIF"), gif, name, "image/gif", key="arith_gif")
    with st.expander(_("Every frame as text")):
        st.code("\n".join(describe(shown)), language=None)


@st.cache_data(show_spinner=False, max_entries=16)  # the spinner is the caller's, in the visitor's language
def _player(settings: tuple, lang: str = "en") -> tuple[str, bytes, int]:
    """(the HTML player, the GIF, the player's height in px) for these settings in language ``lang``, drawn once."""
    from cnnscope.vis.conv_animation import frame_size, gif_bytes, html_page

    shown = plan(*settings)
    return html_page(shown), gif_bytes(shown), frame_size(shown)[1] + 110


def _fill_case() -> None:
    """A classic case chosen: its settings into the boxes."""
    name = st.session_state.arith_case
    for case in CLASSIC:
        if case.name == name:
            for key, value in case.settings().items():
                st.session_state[f"arith_{key}"] = value


def _own() -> None:
    """A box changed by hand: the settings are the visitor's own (the classic name follows from them)."""
    st.session_state.arith_case = OWN
