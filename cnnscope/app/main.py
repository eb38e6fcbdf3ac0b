"""The app's frame: the sidebar (model, input, page) and the page it shows.

Errors a visitor can cause are shown as messages in the page, never as tracebacks.

It is also the script Streamlit runs for ``cnnscope app`` (``cli/app.py``): run as a script it calls
``run()``.  The repository's ``app.py`` (``streamlit run app.py``) calls the same ``run()``.
"""

from __future__ import annotations

import os

import streamlit as st

from cnnscope.app import pages, plain_text, sidebar, training
from cnnscope.errors import CnnscopeError, user_error
from cnnscope.app.sidebar import LANGUAGE_KEY
from cnnscope.i18n import _, from_environment, normalize, set_language


def run() -> None:
    # The app's navigation is its own (the sidebar's Page radio).  Declaring the app as one page with
    # st.navigation makes Streamlit ignore the pages/ package beside the entry script: no automatic
    # page list above the sidebar, and no blank /images, /rf ... URLs (they open the app).
    st.navigation([st.Page(frame, title="cnnscope", url_path="", default=True)], position="hidden").run()


def frame() -> None:
    # before anything is drawn: every label of this run, the sidebar's included, is in this language
    set_language(session_language())
    st.set_page_config(page_title="cnnscope", page_icon="🔬", layout="wide")
    choice = _guard(sidebar.render)
    _guard(training.sidebar_status)  # a training run goes on in the background on every page
    page = st.session_state.get("page", pages.TITLES[0])
    if choice is None:
        if st.session_state.get("source") not in ("Spec", "File"):  # the builder, or the upload, says what is missing
            st.info(_("Fix the model or input in the sidebar to see the analysis."))
        return
    _guard(lambda: pages.render(page, choice))


def session_language() -> str:
    """The visitor's language: the switch's value once set; on a session's first run, the link's ``?lang=``,
    else the server's own (``CNNSCOPE_LANG`` or a ``zh_*`` locale, as the command line)."""
    if LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = normalize(st.query_params.get(LANGUAGE_KEY)) or from_environment()
    return normalize(st.session_state[LANGUAGE_KEY]) or "en"


def _guard(action):
    try:
        return action()
    except CnnscopeError as error:
        st.error(plain_text.plain(error))
    except st.runtime.scriptrunner.StopException:  # pragma: no cover - Streamlit's own control flow
        raise
    except Exception as error:  # noqa: BLE001 - known foreign errors are one line; the rest is a bug
        known = user_error(error)  # the same mapping as the CLI's run_guarded (image too large, not UTF-8 ...)
        if known is not None:
            st.error(plain_text.plain(known))
            return None
        if os.environ.get("CNNSCOPE_DEBUG") == "1":
            raise
        st.error(plain_text.plain(_("internal error: {kind}: {error} (set CNNSCOPE_DEBUG=1 for the traceback)").format(
            kind=type(error).__name__, error=error)))
    return None


if __name__ == "__main__":  # Streamlit runs this file as the script of `cnnscope app`
    run()
