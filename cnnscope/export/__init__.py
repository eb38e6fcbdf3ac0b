"""Renderers by subject (summary, rf, runs, kernels, comparison) over one document model
(``document.py``), and the one table of output formats and suffixes (``formats.py``).  No analysis
here, and no imports in this file: ``cli/`` modules import ``export.formats`` at module level."""
