"""The exported HTML reports fit a phone (400 px) without sideways scrolling of the page itself: wide tables
scroll in their own box, charts and pictures shrink, the diagram scrolls inside its frame.

Opens the written file (file://) in Debian's headless Chromium at 400 px and at 1400 px."""

import io

import pytest

from cnnscope.export.document import Document, Table, provenance, to_html

pytestmark = pytest.mark.slow

PHONE = 400
TOLERANCE = 2  # px: rounding of fractional layout


def _page_width(browser, path, width: int) -> tuple[int, int]:
    """(the page's scrollWidth, the widest table box's scrollWidth) at a window ``width`` px wide."""
    browser.set_window_size(width, 900)
    inner = browser.execute_script("return window.innerWidth")
    browser.set_window_size(width + (width - inner), 900)  # the window's frame is not part of the viewport
    browser.get(path.as_uri())
    assert browser.execute_script("return window.innerWidth") == width
    return browser.execute_script(
        "return [document.documentElement.scrollWidth,"
        " Math.max(0, ...[...document.querySelectorAll('table')].map(t => t.scrollWidth))]")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_model_report_fits_a_phone_and_its_wide_table_scrolls_in_its_own_box(browser, tmp_path, analyze):
    from cnnscope.export import model_document

    path = _write(tmp_path, "resnet18.html", model_document.render(analyze("resnet18"), "html"))
    page, widest_table = _page_width(browser, path, PHONE)
    assert page <= PHONE + TOLERANCE
    assert widest_table > PHONE  # the per-layer table is wider than the phone: it scrolls inside its wrapper
    page, _ = _page_width(browser, path, 1400)
    assert page <= 1400 + TOLERANCE


def test_a_comparison_report_fits_a_phone(browser, tmp_path, analyze):
    from cnnscope.export.comparison_document import document
    from cnnscope.studies.compare import compare_reports
    from cnnscope.vis.charts import comparison_figures

    comparison = compare_reports([analyze("lenet5"), analyze("vgg16")])
    laid_out = document(comparison, "cpu", comparison_figures(comparison))
    path = _write(tmp_path, "compare.html", to_html(laid_out))
    page, _ = _page_width(browser, path, PHONE)
    assert page <= PHONE + TOLERANCE


def test_a_long_unbroken_word_and_a_wide_picture_do_not_widen_the_page(browser, tmp_path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 300), "white").save(buffer, format="PNG")
    long_name = "layer_" * 40
    laid_out = Document(title=long_name, provenance=provenance("cpu", "1×8×8"),
                        tables=[Table("Rows", ["name", "a"], [[long_name, "1"]])],
                        findings=[f"{long_name} is long"], images=[("a wide picture", buffer.getvalue())])
    path = _write(tmp_path, "long.html", to_html(laid_out))
    page, _ = _page_width(browser, path, PHONE)
    assert page <= PHONE + TOLERANCE


def test_the_page_declares_a_device_width_viewport():
    """Without it a phone lays the page out 980 px wide and shrinks it: the CSS above would never apply."""
    text = to_html(Document(title="t", provenance=provenance("cpu", "1×8×8"), tables=[]))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
