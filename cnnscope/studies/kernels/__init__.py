"""The kernel study: ways to reach one receptive field (``variants``), the experiment that trains
them over seeds (``experiment``) and its verdict as data (``verdict``).  Their words are in
``export/kernels.py``, their pictures in ``vis/kernel_charts.py``."""
