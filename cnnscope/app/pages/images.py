"""Image inputs shared by the pages: an upload (size-capped), a sample photo, or a digit."""

from __future__ import annotations

import streamlit as st

from cnnscope.app.pages import in_language
from cnnscope.errors import UsageError
from cnnscope.i18n import N_, _

MAX_IMAGE_MB = 20


DIGIT_DATASETS = ("digits", "mnist")  # weights trained on these read handwritten digits: show one first


def pick_image(key: str, digit_first: bool = False):
    """(PIL RGB image, label) from the visitor's choice; ``digit_first``: a handwritten digit until the
    visitor picks another source (for weights trained on digits, a photo means nothing)."""
    sources = (N_("Sample photo"), N_("Handwritten digit"), N_("Upload"))  # English values, translated labels
    source = st.radio(_("Image"), sources, index=1 if digit_first else 0, horizontal=True, key=f"{key}_src",
                      format_func=in_language(_))
    if source == "Sample photo":
        return sample_photo(), _("china.jpg (scikit-learn sample)")
    if source == "Handwritten digit":
        index = st.number_input(_("Digit sample"), 0, 1796, 17, key=f"{key}_digit")
        from cnnscope.vis.images import digits_image

        return digits_image(str(index)), f"digits:{index}"
    upload = st.file_uploader(_("PNG or JPEG"), type=["png", "jpg", "jpeg"], key=f"{key}_upload")
    if upload is None:
        return sample_photo(), _("china.jpg (scikit-learn sample)")
    return open_upload(upload), upload.name


def open_upload(upload):
    """The uploaded PNG/JPEG as an RGB image; a bad one is one line naming the upload (never the server's
    temporary path): too big a file, too many pixels (PIL's DecompressionBombError), not an image."""
    if upload.size > MAX_IMAGE_MB * 2**20:
        raise UsageError(_("{name} is {size} MB; images are capped at {cap} MB").format(
            name=upload.name, size=f"{upload.size / 2**20:.0f}", cap=MAX_IMAGE_MB))
    import tempfile
    from pathlib import Path

    from cnnscope.errors import InputError, user_error
    from cnnscope.vis.images import open_image

    name = Path(upload.name).name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(upload.getvalue())
        try:
            return open_image(path)
        except Exception as error:  # noqa: BLE001 - one line naming the upload, never the server's temp path
            known = user_error(error)
            if known is None:
                raise
            text = str(known).replace(str(path), name).replace(folder, "")
            raise InputError(text if text.startswith(name) else f"{name}: {text}").with_traceback(None) from None


@st.cache_resource(show_spinner=False)
def sample_photo():
    from PIL import Image
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image("china.jpg"))
