"""Data sources -> tensors.  Every data set is read once into memory as ``(images, labels)``.

* ``digits``: scikit-learn's 1,797 real handwritten 8×8 digits (values 0..16), which ship inside
  the scikit-learn wheel.  The CSV is read straight from the installed package (a few ms), so
  that ``import sklearn`` (over a second) is only the fallback.
* ``mnist``, ``fashion-mnist``, ``cifar10``: torchvision's classes over a local ``root``; they
  download only when asked (``download=True``).  Missing files are one line saying which files
  belong where.  Only the *training* split is read: validation is held out from it, and the
  official test split is left untouched.
* ``folder:PATH``: an ImageFolder tree (``PATH/<class>/<image>``), decoded once to uint8 at
  the size the model wants.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from cnnscope.train.errors import DatasetError
from cnnscope.i18n import _

NAMES = ("digits", "mnist", "fashion-mnist", "cifar10")
DEFAULT_ROOT = "data"


@dataclass
class ImageSet:
    name: str
    images: torch.Tensor          # N, C, H, W, uint8
    labels: torch.Tensor          # N, int64
    classes: list[str]
    scale: float = 255.0          # the value of full intensity in ``images`` (16 for digits)
    source: str = ""              # where it was read from

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])


# torchvision class, the folder its files live in (under root), and the files it checks for.
_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_TORCHVISION = {
    "mnist": ("MNIST", "MNIST/raw", _MNIST_FILES),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST/raw", _MNIST_FILES),
    "cifar10": ("CIFAR10", "cifar-10-batches-py",
                ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                 "test_batch", "batches.meta")),
}
_ARCHIVES = {"mnist": "the four .gz files from the MNIST mirrors, unpacked",
             "fashion-mnist": "the four .gz files of Fashion-MNIST, unpacked",
             "cifar10": "cifar-10-python.tar.gz, unpacked"}


def load_dataset(name: str, root: str | os.PathLike | None = None, download: bool = False,
                 size: tuple[int, int] | None = None, channels: int | None = None) -> ImageSet:
    """``size``/``channels`` matter for ``folder:`` only: images are decoded straight to them."""
    if name == "digits":
        return load_digits()
    if name.startswith("folder:"):
        return load_folder(name[len("folder:"):], size, channels)
    if name in _TORCHVISION:
        return load_torchvision(name, Path(root or DEFAULT_ROOT), download)
    close = difflib.get_close_matches(name, NAMES, n=1)
    hint = _("did you mean {name}? ").format(name=close[0]) if close else ""
    raise DatasetError(_("unknown data set {name!r}: {hint}use one of {NAMES}, or folder:PATH").format(
                           name=name, hint=hint, NAMES=', '.join(NAMES)))


def load_digits() -> ImageSet:
    rows = _read_digits_csv()
    if rows is None:  # an unusual install: let scikit-learn find its own file
        try:
            from sklearn.datasets import load_digits as sklearn_digits
        except ImportError:
            raise DatasetError(_("the digits data set ships with scikit-learn: pip install scikit-learn")) from None
        bunch = sklearn_digits()
        images, labels = torch.as_tensor(bunch.data), torch.as_tensor(bunch.target)
    else:
        images, labels = rows[:, :-1], rows[:, -1]
    images = images.round().to(torch.uint8).reshape(-1, 1, 8, 8)
    return ImageSet("digits", images, labels.long(), [str(d) for d in range(10)], scale=16.0,
                    source="scikit-learn digits (UCI optical recognition of handwritten digits)")


def _read_digits_csv() -> torch.Tensor | None:
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        return None
    import numpy as np

    with gzip.open(path, "rt") as stream:
        return torch.from_numpy(np.loadtxt(stream, delimiter=",", dtype=np.float32))


def load_torchvision(name: str, root: Path, download: bool) -> ImageSet:
    import torchvision.datasets as tvd

    class_name, folder, files = _TORCHVISION[name]
    where = root / folder
    missing = [f for f in files if not (where / f).is_file()]
    if missing and not download:
        listed = ", ".join(missing) if len(missing) < len(files) else ", ".join(files)
        raise DatasetError(_("{name} not found: put {listed} ({ARCHIVES}) in {where}/, or pass --download (or "
                             "choose another --data-root)").format(
                               name=name, listed=listed, ARCHIVES=_ARCHIVES[name], where=where))
    try:
        dataset = getattr(tvd, class_name)(str(root), train=True, download=download)
    except Exception as exc:  # noqa: BLE001 - network, checksum and format errors alike
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        action = "downloading" if download and missing else "reading"
        raise DatasetError(_("{action} {name} in {where}/ failed: {first}").format(
                               action=action, name=name, where=where, first=first)) from exc
    data = dataset.data
    images = torch.as_tensor(data)
    if images.ndim == 3:                    # MNIST: N, H, W
        images = images.unsqueeze(1)
    else:                                   # CIFAR-10: N, H, W, C
        images = images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(dataset.targets, dtype=torch.long)
    return ImageSet(name, images.contiguous(), labels, [str(c) for c in dataset.classes], source=str(where))


def load_folder(path: str, size: tuple[int, int] | None, channels: int | None) -> ImageSet:
    import torchvision.datasets as tvd

    if not path:
        raise DatasetError(_("folder: needs a path, e.g. --dataset folder:photos/ (one sub-folder per class)"))
    if not Path(path).is_dir():
        raise DatasetError(_("folder:{path}: no such folder (expected one sub-folder of images per class)").format(
                               path=path))
    try:
        tree = tvd.ImageFolder(path)
    except (FileNotFoundError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise DatasetError(_("folder:{path}: {first} (expected one sub-folder of images per class)").format(
                               path=path, first=first)) from exc
    if len(tree.classes) < 2:
        raise DatasetError(_("folder:{path}: found {n} class folder; training needs at least 2").format(
                               path=path, n=len(tree.classes)))
    mode = "L" if channels == 1 else "RGB"
    if size is None:
        size = _first_size(tree.samples[0][0])
    images = _decode_all([p for p, _unused in tree.samples], size, mode)
    labels = torch.tensor([label for _unused, label in tree.samples], dtype=torch.long)
    return ImageSet(f"folder:{path}", images, labels, list(tree.classes), source=str(Path(path)))


def _first_size(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.height, image.width


def _decode_all(paths: list[str], size: tuple[int, int], mode: str) -> torch.Tensor:
    """Decode every image to ``mode`` at ``size`` (H, W) into one uint8 tensor, a few threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from PIL import Image

    height, width = size
    channels = 1 if mode == "L" else 3
    out = np.empty((len(paths), height, width, channels), dtype=np.uint8)

    def decode(item):
        index, path = item
        try:
            with Image.open(path) as image:
                image = image.convert(mode)
                if image.size != (width, height):
                    image = image.resize((width, height), Image.Resampling.BILINEAR)
                out[index] = np.asarray(image).reshape(height, width, channels)
        except OSError as exc:
            raise DatasetError(_("{path}: not a readable image ({exc})").format(path=path, exc=exc)) from exc

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        list(pool.map(decode, enumerate(paths)))
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()
