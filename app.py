"""cnnscope in the browser:  streamlit run app.py"""

from cnnscope.app.main import run

run()
