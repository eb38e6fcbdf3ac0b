"""The Conv arithmetic page, headless: the worked formula follows the boxes, a classic case fills them, and a
kernel too large for the padded input is one error line on the page, never a traceback."""

from __future__ import annotations

from .shown import shown


def _page(app):
    app.sidebar.radio(key="page").set_value("Conv arithmetic").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app


def _worked(at) -> str:
    return next(shown(m.value) for m in at.markdown if shown(m.value).startswith("Worked out:"))


def test_the_page_works_the_formula_out_and_follows_the_kernel(app):
    at = _page(app)
    # the defaults: half (same) padding on a 5×5 input
    assert _worked(at) == "Worked out: ⌊(5 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 5  (25 frames; the classic case " \
                          "half (same) padding)"
    at.number_input(key="arith_kernel").set_value(5).run()
    assert not at.exception and not at.error
    assert _worked(at) == "Worked out: ⌊(5 + 2·1 − 1·(5−1) − 1)/1⌋ + 1 = 3  (9 frames)"
    assert at.selectbox(key="arith_case").value == "(your own settings)"
    player = at.get("iframe")  # the animation player, embedded whole: its frames follow the kernel too
    assert len(player) == 1 and 'id="frame-counter">frame 1 / 9<' in player[0].proto.srcdoc


def test_a_classic_case_fills_the_boxes(app):
    at = _page(app)
    at.selectbox(key="arith_case").set_value("padding, strides (odd), transposed").run()
    assert not at.exception and not at.error
    assert (at.number_input(key="arith_size").value, at.number_input(key="arith_stride").value,
            at.number_input(key="arith_output_padding").value, at.checkbox(key="arith_transposed").value) == \
        (3, 2, 1, True)
    assert _worked(at).startswith("Worked out: (3 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6  (36 frames")


def test_a_kernel_larger_than_the_padded_input_is_one_error_line(app):
    at = _page(app)
    at.number_input(key="arith_padding").set_value(0).run()
    at.number_input(key="arith_kernel").set_value(7).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["kernel 7 (dilated span 7) is larger than the padded input 5 + 2·0 = 5: "
                                           "⌊(5 + 2·0 − 1·(7−1) − 1)/1⌋ + 1 = -1 outputs"]
