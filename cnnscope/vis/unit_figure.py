"""One unit's explanation as a picture: its receptive field on the image, and the arithmetic as
heat maps (the input patch, the kernel, the products) or bars (a pool's window, a linear row's
largest contributions, the class probabilities).  Drawn by matplotlib on the Agg canvas."""

from __future__ import annotations

import io

import numpy as np

from cnnscope.i18n import _

_ANNOTATE = 7  # kernels up to 7×7 carry their numbers in the cells


def unit_picture(e, image: np.ndarray | None, title: str):
    """A PIL image.  ``image``: H×W×3 floats in 0..1 (the input as the model saw it, for drawing)."""
    import matplotlib

    from cnnscope.vis import fonts

    with matplotlib.rc_context(fonts.matplotlib_rc([title])):  # a CJK font for Chinese labels
        return _drawn(e, image, title)


def _drawn(e, image, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from PIL import Image

    panels = _panels(e)
    count = 1 + len(panels)
    fig, axes = plt.subplots(1, count, figsize=(3.3 * count, 3.6), dpi=110, squeeze=False)
    axes = axes[0]
    axis = axes[0]
    if image is not None:
        axis.imshow(image, interpolation="nearest")
        if e.clipped is not None and len(e.clipped) == 2:
            (y0, y1), (x0, x1) = e.clipped
            axis.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False, color="#ff2828", lw=2))
        field = "×".join(str(hi - lo + 1) for lo, hi in e.field) if e.field else "—"
        axis.set_title(_("receptive field {size}").format(size=field), fontsize=9)
    else:
        axis.text(0.5, 0.5, _("no image"), ha="center", va="center")
    axis.set_xticks([])
    axis.set_yticks([])
    for axis, (name, kind, data) in zip(axes[1:], panels):
        if kind == "grid":
            _grid(axis, data, name)
        else:
            _bars(axis, data, name)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _panels(e) -> list:
    if e.kernel is not None and e.patch is not None and e.kernel.ndim in (2, 3) and e.channels:
        # the input channel that contributes most: one channel's patch, kernel and products
        ci = int(np.argmax([abs(item[1]) for item in e.channels]))
        channel = e.channels[ci][0]
        patch = e.patch[ci] if e.patch.ndim == 3 else e.patch[ci][None]
        kernel = e.kernel[ci] if e.kernel.ndim == 3 else e.kernel[ci][None]
        products = np.nan_to_num(patch * kernel, nan=0.0)
        if len(e.channels) == 1:
            total = _("products: Σ {sum} + bias {bias} = {total}").format(
                sum=f"{products.sum():.4g}", bias=f"{e.bias or 0:.4g}", total=f"{e.sum:.4g}")
            patch_title = _("input patch, channel {channel}").format(channel=channel)
        else:
            total = _("products: Σ {sum} (all channels + bias = {total})").format(sum=f"{products.sum():.4g}",
                                                                                  total=f"{e.sum:.4g}")
            patch_title = _("input patch, channel {channel} (1 of {n})").format(channel=channel, n=len(e.channels))
        return [(patch_title, "grid", patch), (_("kernel (weights)"), "grid", kernel), (total, "grid", products)]
    softmax = e.details.get("softmax") if isinstance(e.details, dict) else None
    panels = []
    if e.top:
        panels.append((_("largest contributions of {n}").format(n=f"{e.terms:,}"), "bars",
                       [(f"{t.channel}", t.product) for t in e.top[:12]]))
    window = e.details.get("window") if isinstance(e.details, dict) else None
    if window and len(window) <= 64:
        panels.append((_("window"), "bars", [(",".join(map(str, c["at"])), c["input"]) for c in window]))
    if softmax:
        ranked = sorted(softmax, key=lambda r: -r["probability"])[:10]
        panels.append((_("class probabilities"), "bars", [(r["name"][:14], r["probability"]) for r in ranked]))
    return panels


def _grid(axis, data: np.ndarray, name: str) -> None:
    shown = np.ma.masked_invalid(data)
    peak = float(np.nanmax(np.abs(data))) if np.isfinite(data).any() else 1.0
    axis.imshow(shown, cmap="RdBu_r", vmin=-peak or -1, vmax=peak or 1, interpolation="nearest")
    if max(data.shape) <= _ANNOTATE:
        for (r, c), v in np.ndenumerate(data):
            dark = not np.isnan(v) and abs(v) > 0.6 * (peak or 1)  # white on the deep colours
            axis.text(c, r, "·" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=7,
                      color="white" if dark else "black")
    axis.set_title(name, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])


def _bars(axis, items, name: str) -> None:
    labels = [item[0] for item in items]
    values = [item[1] for item in items]
    axis.barh(range(len(values)), values, color=["#d62728" if v > 0 else "#1f77b4" for v in values])
    axis.set_yticks(range(len(values)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_title(name, fontsize=9)
    axis.tick_params(axis="x", labelsize=7)
