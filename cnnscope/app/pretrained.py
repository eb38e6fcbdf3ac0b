"""Which weights a view shows: random (seed 0), the zoo's pretrained ones, an uploaded file, or a
Train page run's final or best epoch.  ``pick_weights`` draws the controls and returns the model;
``pretrained_panel`` is the pretrained part alone: the local torch cache when the file is there,
else its size and a Download button, and only after the click a download with a progress bar."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnscope.app import real_models
from cnnscope.app.pages import in_language
from cnnscope.app.plain_text import plain
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _

# the Weights choices: the English text is the widget's value, the label is translated (format_func)
RANDOM, PRETRAINED, UPLOAD = N_("Random (seed 0)"), N_("Pretrained"), N_("Uploaded file")


@dataclass(frozen=True)
class Offer:
    """Whether the zoo's pretrained weights are offered for a model, and why not when they are not."""

    offered: bool
    reason: str = ""        # why not, in words (offered: empty)
    info: object = None     # weights.PretrainedFile (torchvision)
    hub_id: str = ""        # timm:NAME: its Hugging Face repository

    @property
    def cached(self) -> bool:
        if self.info is not None:
            return self.info.cached
        from cnnscope.weights import timm_cache_file

        return bool(self.hub_id) and timm_cache_file(self.hub_id) is not None


def offer(kind: str, name: str) -> Offer:
    """The pretrained offer for a Choice's ``kind`` and ``value``; the cache path is worked out on each
    call (``TORCH_HOME`` may change), the rest is cheap."""
    if kind != "zoo":
        return Offer(False, _("a model from the Spec box has only the weights it is given: random ones, an "
                              "uploaded file, or those of a run on the Train page"))
    if name.startswith("timm:"):
        hub_id = _timm_hub_id(name)
        return Offer(True, hub_id=hub_id) if hub_id else Offer(False, _("timm publishes no weights for {name}").format(
            name=name))
    from cnnscope.weights import pretrained_file, pretrained_reason

    reason = pretrained_reason(name)
    if reason is None:
        return Offer(True, info=pretrained_file(name))
    from torchvision.models import list_models

    if name in list_models():
        return Offer(False, _("torchvision publishes no pretrained weights for {name}").format(name=name))
    return Offer(False, _("{name} is one of cnnscope's own teaching models, and nobody publishes weights for it; "
                          "train it on the Train page or upload a .pt").format(name=name))


@st.cache_data(show_spinner=False, max_entries=64)
def _timm_hub_id(name: str) -> str | None:
    from cnnscope.sources import load_model

    return (getattr(load_model(name, "meta").module, "pretrained_cfg", None) or {}).get("hf_hub_id")


def pretrained_panel(choice, key: str) -> bool:
    """The pretrained weights' status for ``choice``; True when they are in the local cache (now, or
    after the visitor clicked Download and it worked).  Nothing is downloaded without that click."""
    found = offer(choice.kind, choice.value)
    if not found.offered:
        st.info(_("No pretrained weights: {reason}.").format(reason=found.reason))
        return False
    if found.cached:
        where = found.info.path if found.info is not None else _("the Hugging Face cache ({hub_id})").format(
            hub_id=found.hub_id)
        st.caption(_("Pretrained weights from the local cache: {where}").format(where=where))
        return True
    if found.info is not None:
        info = found.info
        st.caption(_("torchvision's {tag} weights for {name} are not in the local cache ({path}). Download {size} "
                     "from {url}?").format(tag=info.tag, name=plain(choice.value), path=info.path,
                                           size=info.size_text, url=info.url))
        if not st.button(_("Download ({size})").format(size=info.size_text), key=f"{key}_download"):
            return False
        return _download(info)
    st.caption(_("timm's weights for {name} ({hub_id}) are not in the local Hugging Face cache. Download them "
                 "(size unknown)?").format(name=plain(choice.value), hub_id=found.hub_id))
    if not st.button(_("Download (size unknown)"), key=f"{key}_download"):
        return False
    try:
        with st.spinner(_("downloading {what}").format(what=found.hub_id)):
            _download_timm(found.hub_id)
    except Exception as exc:  # noqa: BLE001 - offline, or the hub refuses: one line either way
        st.error(_("Could not download {hub_id} ({reason}); put its model.safetensors in the Hugging Face cache "
                   "(HF_HUB_CACHE) and reload.").format(
            hub_id=found.hub_id, reason=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__))
        return False
    return True


def _download(info) -> bool:
    from cnnscope.weights import download_pretrained

    bar = st.progress(0.0, text=_("downloading {what}").format(what=info.url))
    shown = {"at": -1}

    def progress(done: int, total: int | None) -> None:
        total = total or (info.size_mb or 0) * 1e6
        fraction = min(done / total, 1.0) if total else 0.0
        if int(fraction * 100) != shown["at"]:  # redraw once per percent, not per chunk
            shown["at"] = int(fraction * 100)
            bar.progress(fraction, text=_("downloading {url}: {done} of {total} MB").format(
                url=info.url, done=f"{done / 1e6:,.1f}", total=f"{(total / 1e6) if total else 0:,.1f}"))

    try:
        download_pretrained(info, progress=progress)
    except CnnscopeError as error:
        bar.empty()
        st.error(str(error))
        return False
    bar.progress(1.0, text=_("downloaded to {path}").format(path=info.path))
    return True


def _download_timm(hub_id: str) -> None:
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(hub_id, "model.safetensors")
    except Exception:  # noqa: BLE001 - older timm weights exist only as pytorch_model.bin
        hf_hub_download(hub_id, "pytorch_model.bin")


def categories(choice) -> tuple | None:
    """The class names of the zoo model's pretrained output (torchvision's metadata, timm's ImageNet
    labels), or None."""
    found = offer(choice.kind, choice.value)
    if not found.offered:
        return None
    if found.info is not None:
        return found.info.categories
    try:
        import timm.data

        from cnnscope.sources import load_model

        subset = timm.data.infer_imagenet_subset(load_model(choice.value, "meta").module)
        if not subset:
            return None
        described = timm.data.ImageNetInfo(subset).label_descriptions()
        return tuple(text.split(",")[0] for text in described)
    except Exception:  # noqa: BLE001 - no labels to be had: the classes are numbered instead
        return None


@dataclass
class Weights:
    """The model a view shows and what the page says about its weights."""

    model: object
    origin: str          # for picture titles: "random initialisation (seed 0)", "uploaded my.pt", ...
    lock: object         # serialises forward passes with hooks on a shared model
    key: object          # hashable: names these weights in picture caches
    classes: tuple | None = None   # the output's class names when known
    dataset: str = ""              # a Train page run's data set ("digits", ...)
    normalization: tuple | None = None  # a Train page run's (mean, std): its inputs are made the same way


def pick_weights(choice, key: str, trained: bool = True, upload: bool = True) -> Weights | None:
    """The weights controls of a page (widget keys start with ``key``) and the model with those weights;
    None while the chosen weights are not there yet (pretrained, not downloaded)."""
    if trained:
        picked = _trained(choice, key)
        if picked is not None:
            return picked
    if choice.kind == "file":  # an uploaded .pt2 brings its own weights; an .onnx is one line (not run)
        model, origin, lock = real_models.view_model(choice)
        st.caption(_("Weights: {origin}.").format(origin=plain(origin)))
        return Weights(model, origin, lock, ("file", choice.value))
    found = offer(choice.kind, choice.value)
    options = [RANDOM] + ([PRETRAINED] if found.offered else []) + ([UPLOAD] if upload else [])
    source = st.radio(_("Weights"), options, horizontal=True, key=f"{key}_source", format_func=in_language(_),
                      help=_("what the filters and maps are computed with: random numbers (seed 0, what an "
                             "untrained network starts from), the published pretrained weights, or a .pt file"))
    if not found.offered:
        st.caption(_("No pretrained choice: {reason}.").format(reason=found.reason))
    if source == PRETRAINED:
        if not pretrained_panel(choice, key):
            return None
        model, origin, lock = real_models.view_model(choice, pretrained=True)
        return Weights(model, origin, lock, real_models.pretrained_key(choice), categories(choice))
    if source == UPLOAD:
        file = st.file_uploader(_("Weights (.pt state_dict or cnnscope checkpoint; loaded with weights_only=True)"),
                                type=["pt", "pth"], key=f"{key}_weights")
        if file is not None:
            model, origin, lock = real_models.view_model(choice, file)
            return Weights(model, origin, lock, real_models.weights_key(file))
        st.caption(_("No file yet: random weights (seed 0) until one is uploaded."))
    model, origin, lock = real_models.view_model(choice)
    return Weights(model, origin, lock, "random")


def _trained(choice, key: str) -> Weights | None:
    """A run of the Train page for this model, when there is one and the visitor keeps the box ticked:
    its final or best epoch's weights (the page says which)."""
    import threading

    from cnnscope.app import training

    offered = getattr(training, "trained_weights", None)
    items = offered(choice) if offered is not None else []
    legacy = st.session_state.get("trained_model")
    if not items and (legacy is None or legacy[0] != choice):
        return None
    if not st.checkbox(_("Use the model trained on the Train page"), value=True, key=f"{key}_trained"):
        return None
    if items:
        labels = [item.label for item in items]
        label = st.selectbox(_("Trained weights"), labels, key=f"{key}_trained_which",
                             help=_("final: the weights after the last epoch; best: those of the epoch with the "
                                    "best validation accuracy (kept by the run)"))
        item = items[labels.index(label)]
        model = item.model()
        run = item.label.split(" · ")[0]
        if item.which == "final":
            shown = _("Showing {run}'s final weights (its last epoch, epoch {epoch}).")
        else:
            shown = _("Showing {run}'s best weights (its best validation epoch, epoch {epoch}).")
        st.caption(shown.format(run=run, epoch=item.epoch))
        origin = _("trained on the Train page, {run}").format(run=item.label)
        names, dataset = tuple(getattr(item, "classes", ()) or ()) or None, item.dataset
        normalization = getattr(item, "normalization", None)
        ident = item.key
    else:  # the Train page's single last model
        model, origin, names, dataset, ident = legacy[1], _("trained on the Train page"), None, "", "last"
        normalization = None
    token = _token(model)
    locks = st.session_state.setdefault(f"{key}_trained_locks", {})
    model.eval()
    return Weights(model, origin, locks.setdefault(token, threading.Lock()), ("trained", ident, token), names, dataset,
                   normalization)


def _token(model) -> str:
    """A mark of this module object (not its id(), which a later model may reuse): picture caches keyed
    on it never show another run's pictures."""
    import uuid

    if not hasattr(model, "_cnnscope_view_token"):
        model._cnnscope_view_token = uuid.uuid4().hex
    return model._cnnscope_view_token
