"""The training page's live block (a fragment, redrawn every second) is drawn in the visitor's language.

A fragment's rerun runs its function alone, not the app's frame that sets the language for the run, so
the block sets it itself: here the run's language is English and the block is given Chinese, as a
fragment rerun after a Chinese page would be."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script():
    import threading
    from types import SimpleNamespace

    from cnnscope.app.pages.train import _live
    from cnnscope.i18n import set_language

    set_language("en")  # what a fragment rerun finds: no frame() has set the visitor's language
    job = SimpleNamespace(done=False, stop=threading.Event(), notes=[],
                          progress=lambda: (0.5, "…"), live_history=lambda: SimpleNamespace(steps=[]))
    _live(job, "zh")


def test_the_live_block_is_in_the_pages_language():
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception, at.exception
    labels = [button.label for button in at.button]
    assert labels and "Stop" not in labels, labels
    assert labels[0] != "Stop" and any("\u4e00" <= ch <= "\u9fff" for ch in labels[0]), labels
