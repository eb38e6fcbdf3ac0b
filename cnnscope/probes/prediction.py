"""What a classifier says about one image: the top-k classes and their softmax probabilities, and
the names of its output classes (the weights' categories, a training data set's classes, or
``class k``).  No plotting, no printing: the app and the CLI draw it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnscope.i18n import _

# The classes of the data sets cnnscope trains on (cnnscope.train.datasets.NAMES), in label order.
DATASET_CLASSES = {
    "digits": tuple(str(d) for d in range(10)),
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                      "Bag", "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}


@dataclass(frozen=True)
class Guess:
    index: int          # the output unit (class number)
    name: str           # its class name
    probability: float  # softmax of the logits, 0..1
    logit: float


def softmax(logits) -> np.ndarray:
    """exp(z_i − max z) / Σ exp(z_j − max z): the same as exp(z_i)/Σ exp(z_j), without overflow."""
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    e = np.exp(z - z.max())
    return e / e.sum()


def class_names(count: int, categories=None, dataset: str | None = None) -> list[str]:
    """Names of ``count`` output classes: ``categories`` (a pretrained model's metadata) when there is
    one per class, else the classes of the training ``dataset``, else ``class 0`` ... ``class count−1``."""
    for names in (categories, DATASET_CLASSES.get(dataset or "")):
        if names is not None and len(names) == count:
            return [str(n) for n in names]
    return [_("class {k}").format(k=k) for k in range(count)]  # unnamed classes, in the reader's language


def class_logits(output):
    """The logits of the first image when ``output`` is a classifier's (N, classes) tensor or array with at
    least two classes; None otherwise (detection dicts, segmentation maps, feature vectors of N×C×H×W)."""
    if isinstance(output, (tuple, list)) or isinstance(output, dict) or not hasattr(output, "shape"):
        return None
    if len(output.shape) != 2 or output.shape[1] < 2:
        return None
    first = output[0]
    if hasattr(first, "detach"):
        first = first.detach().float().cpu().numpy()
    return np.asarray(first, dtype=np.float64)


def top_k(logits, k: int = 5, names=None) -> list[Guess]:
    """The ``k`` most probable classes, most probable first (ties: the lower class number first)."""
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    names = list(names) if names is not None else class_names(len(z))
    probabilities = softmax(z)
    order = np.argsort(-probabilities, kind="stable")[:max(0, k)]
    return [Guess(int(i), names[i], float(probabilities[i]), float(z[i])) for i in order]
