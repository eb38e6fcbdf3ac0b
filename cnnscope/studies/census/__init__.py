"""The census: one row of figures per model over a whole zoo (issue 26).

``columns`` says what a row holds, ``row.census_row`` makes one (never raising), ``plan`` turns patterns
and an existing file into the models still to do; the engines (``pool``, ``ray_engine``) run
``census_row`` in other processes.  Files are read and written by ``cnnscope.export.census_file``.
"""

from cnnscope.studies.census.columns import COLUMNS, FORMAT, NAMES, VERSION, failed_row, versions
from cnnscope.studies.census.row import census_row

__all__ = ["COLUMNS", "FORMAT", "NAMES", "VERSION", "census_row", "failed_row", "versions"]
