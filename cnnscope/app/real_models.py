"""Models with real weights for the views and training: seeded random ones, or an uploaded
state_dict (size-capped, weights_only), built once per (model, input, weights) and kept; and
the digest that keys a picture's cached results."""

from __future__ import annotations

import streamlit as st

from cnnscope.app.model_choice import Choice
from cnnscope.app.spec_text import spec_model
from cnnscope.errors import CnnscopeError, UsageError, reworded
from cnnscope.i18n import _

MAX_UPLOAD_MB = 200


def real_model(choice: Choice, seed: int | None = 0):
    """The ``LoadedModel`` with real (random) weights on the CPU, for filters, activations and training
    (``sources.load_model``: seeded, the caller's random state left as it was; ``None``: drawn from it)."""
    if choice.kind == "zoo":
        from cnnscope.sources import ZOO, load_model

        return load_model(choice.value, "cpu", seed=seed, kinds=(ZOO,))
    if choice.kind == "file":  # an uploaded .pt2 with its own weights; an .onnx is one line: not run
        return _file_model(choice.value)
    return spec_model(choice.value, choice.shape, "cpu", seed=seed)


def _file_model(path: str):
    """An uploaded ``.pt2``'s ``LoadedModel`` on the CPU with its own weights (``app.model_file`` saved it)."""
    from pathlib import Path

    name = Path(path).name
    if path.lower().endswith(".onnx"):
        raise UsageError(_("{name} is an ONNX file: it is analysed (Summary, Receptive field, Compare ...), not run; "
                           "this page needs a PyTorch model with weights: upload its .pt2 (torch.export.save), "
                           "or pick the model from the zoo").format(name=name))
    from cnnscope.app.upload_names import named_after_upload
    from cnnscope.sources import PT2, load_model

    with named_after_upload(path):
        return load_model(path, "cpu", kinds=(PT2,))


def load_uploaded_weights(model, upload) -> str:
    """Apply an uploaded state_dict (size-capped, weights_only) to ``model``; returns its description."""
    check_upload_size(upload)
    return _apply_weights(model, upload.name, upload.getvalue())


def check_upload_size(upload) -> None:
    if upload.size > MAX_UPLOAD_MB * 2**20:
        raise UsageError(_("{name} is {size} MB; uploads are capped at {cap} MB").format(
            name=upload.name, size=f"{upload.size / 2**20:.0f}", cap=MAX_UPLOAD_MB))


def _apply_weights(model, name: str, data: bytes) -> str:
    """Load the bytes of the uploaded file ``name``; messages name the upload, not the server's temporary file."""
    import tempfile
    from pathlib import Path

    from cnnscope.weights import load_weights

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.pt"
        path.write_bytes(data)
        try:
            load_weights(model, path, source=name)
        except CnnscopeError as error:
            message = str(error).replace(str(path), name).replace(folder, "")
            raise reworded(error, message).with_traceback(None) from None
    return _("uploaded {name}").format(name=name)


# -- the Filters & feature maps page: one model per (model, weights) and one picture per view --------------

BUILDS = {"count": 0}  # how many real models the page built (tests: a second click builds none)


def weights_key(upload) -> tuple | None:
    """(name, size, digest) of an uploaded weights file (size-capped first); None: random weights."""
    if upload is None:
        return None
    import hashlib

    check_upload_size(upload)
    data = upload.getvalue()
    return upload.name, len(data), hashlib.sha256(data).hexdigest()


def view_model(choice: Choice, upload=None, pretrained: bool = False):
    """(model, origin, lock): the model with real weights for the views, built once per (model, input,
    weights source) and kept (st.cache_resource).  ``lock`` serialises forward passes with hooks.
    ``pretrained``: the zoo's pretrained weights from the local cache (``cnnscope.app.pretrained``
    offers the download first); an ``upload`` wins over it."""
    from cnnscope.i18n import language

    with st.spinner(_("building the model with real weights")):  # a spinner in the visitor's language
        if upload is not None:
            return _view_model(choice, weights_key(upload), upload.getvalue(), language())
        return _view_model(choice, pretrained_key(choice) if pretrained else None, None, language())


def pretrained_key(choice: Choice) -> tuple:
    """The cache key of the zoo's pretrained weights: the name and, for torchvision, the cache file's
    size and time (a file put there by hand later is read afresh)."""
    if choice.kind != "zoo":
        raise UsageError(_("{name} is a spec: it has no pretrained weights").format(name=choice.label))
    from cnnscope.weights import pretrained_reason, pretrained_file

    if choice.value.startswith("timm:") or pretrained_reason(choice.value):
        return ("pretrained", choice.value)
    path = pretrained_file(choice.value).path
    stat = path.stat() if path.is_file() else None
    return ("pretrained", choice.value, str(path), stat and (stat.st_size, stat.st_mtime_ns))


@st.cache_resource(show_spinner=False, max_entries=4)
def _view_model(choice: Choice, key: tuple | None, _data: bytes | None, lang: str = "en"):
    """Keyed by the choice (model and input) and the weights source: None (random, always seed 0),
    ``pretrained_key`` or ``weights_key`` of an upload (``_data`` is not hashed: its digest is in ``key``);
    and the language, which the weights' description (``origin``) is written in."""
    import threading

    BUILDS["count"] += 1
    loaded = real_model(choice)
    model, origin = loaded.module, loaded.origin
    if key is not None and key[0] == "pretrained":
        from cnnscope.weights import load_pretrained_weights

        origin = load_pretrained_weights(model, choice.value, download=False)
    elif key is not None:
        origin = _apply_weights(model, key[0], _data)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # shared between sessions: the views only read it
    return model, origin, threading.Lock()


def image_key(image) -> str:
    """A digest of the picture's pixels: the same image gives the same cached feature maps."""
    import hashlib

    return hashlib.sha256(image.tobytes()).hexdigest()[:32] + f"{image.size}{image.mode}"
