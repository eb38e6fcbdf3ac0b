"""A model's error line is in the census's language whichever way it was chosen (``--lang zh`` sets it in the
process, CNNSCOPE_LANG in the environment): the workers speak the language of the process that runs the census."""

from __future__ import annotations

from cnnscope.i18n import use_language


def test_a_worker_writes_the_error_in_the_censuss_language(tmp_path):
    from cnnscope.studies.census.pool import run_local
    from cnnscope.studies.census.row import census_row

    name = str(tmp_path / "missing.py") + ":Net"
    with use_language("zh"):
        here = census_row(name)["error"]
        rows = [e.row for e in run_local([name], census_row, workers=1, timeout=60) if hasattr(e, "row")]
    with use_language("en"):
        english = census_row(name)["error"]
    assert here != english  # the message has a Chinese translation
    assert rows[0]["status"] == "error" and rows[0]["error"] == here


def test_a_timeout_row_says_so_in_the_censuss_language():
    from cnnscope.i18n import _
    from cnnscope.studies.census.pool import run_local

    from .test_failed_rows_described import nap

    with use_language("zh"):
        rows = [e.row for e in run_local(["no_such_net"], nap, workers=1, timeout=1) if hasattr(e, "row")]
        expected = _("took longer than {seconds} s").format(seconds="1")
    assert expected != "took longer than 1 s"  # translated
    assert rows[0]["status"] == "timeout" and rows[0]["error"] == expected
