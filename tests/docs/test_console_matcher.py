"""The doc-example matcher's own rules: what ``tolerance`` and ``spacing`` let through, and what not."""

from tests.docs.console import matches, options_above, same_line


def test_exact_lines_match_and_others_do_not():
    assert same_line("total 1.83102", "total 1.83102")
    assert not same_line("total 1.83102", "total 1.83103")
    assert not same_line("a  b", "a b")


def test_tolerance_lets_float_rounding_through_and_nothing_more():
    # Another CPU's float32 sums: 6th significant digit.
    assert same_line("unit 100,3,3 = 0.248552", "unit 100,3,3 = 0.248558", tolerance=1e-4)
    assert not same_line("unit 100,3,3 = 0.248552", "unit 100,3,3 = 0.249552", tolerance=1e-4)
    # One unit of the last printed digit, whatever the relative size.
    assert same_line("p = 0.0005", "p = 0.0004", tolerance=1e-4)
    assert not same_line("p = 0.0005", "p = 0.0003", tolerance=1e-4)
    assert same_line("difference 2.05e-08", "difference 2.06e-08", tolerance=1e-4)
    # The words must still match, and so must the count of numbers.
    assert not same_line("bias 0.054047; total 8.45108", "bias 0.054047; sum 8.45108", tolerance=1e-4)
    assert not same_line("7 logit 8.45108", "7 logit 8.45108 1", tolerance=1e-4)


def test_spacing_lets_column_widths_change():
    assert same_line("9  logit    0.74742  p", "9  logit   0.747419  p", tolerance=1e-4, spacing=True)
    assert not same_line("9  logit    0.74742  p", "9  logit   0.747419  p", tolerance=1e-4)
    assert same_line("stack3x3    27,648   7", "stack3x3  27,648 7", spacing=True)
    assert not same_line("stack3x3    27,648   7", "stack3x3  27,648 8", spacing=True)


def test_ellipsis_segments_use_the_same_rule():
    expected = ["head 1.00001", "...", "tail 2.0"]
    assert matches(expected, ["head 1.00002", "x", "tail 2.0"], tolerance=1e-4)
    assert not matches(expected, ["head 1.00002", "x", "tail 2.0"])


def test_directives_are_read():
    options = options_above("<!-- console: tolerance 1e-4 -->\n<!-- console: spacing -->\n", 60)
    assert options.tolerance == 1e-4 and options.spacing
