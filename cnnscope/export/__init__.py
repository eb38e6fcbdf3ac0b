"""Renderers: a ModelReport (or its rows) in to text, Markdown, CSV or JSON.  No analysis here."""
