"""cnnscope: see inside convolutional networks.

The public API is imported lazily so that ``import cnnscope`` (and ``cnnscope --help``) does not
import torch.
"""

from cnnscope._version import __version__

__all__ = ["__version__", "analyze", "ModelReport", "LayerRecord", "ReceptiveField", "build_model", "list_models",
           "register_formula"]


def __getattr__(name):
    if name == "analyze":
        from cnnscope.analysis.analyze import analyze

        return analyze
    if name in ("ModelReport", "LayerRecord", "ReceptiveField", "Totals", "Diagnostic"):
        from cnnscope import report

        return getattr(report, name)
    if name == "register_formula":
        from cnnscope.analysis.costs import register_formula

        return register_formula
    if name in ("build_model", "list_models"):
        import cnnscope.zoo as zoo

        return getattr(zoo, name)
    raise AttributeError(f"module 'cnnscope' has no attribute {name!r}")
