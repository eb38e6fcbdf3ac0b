"""The Streamlit app: thin pages over the library.  ``cnnscope app`` starts it warmed up
(``main.py`` is its script), ``streamlit run app.py`` from a checkout."""
