"""``streamlit run app.py``: Streamlit's own command, from a checkout of the repository.

Streamlit runs a script file, and this one is where people stand.  It runs the same frame as
``cnnscope app`` (which runs ``cnnscope/app/main.py`` itself, the file an installed package has).
"""

from cnnscope.app.main import run

run()
