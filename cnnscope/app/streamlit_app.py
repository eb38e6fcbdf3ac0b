"""The script Streamlit runs for ``cnnscope app`` (the repository's app.py does the same)."""

from cnnscope.app.main import run

run()
