"""Data-set adapters, run through the real loading code on small fake files in temporary folders:
MNIST/Fashion-MNIST in torchvision's raw idx format, CIFAR-10 batches, ImageFolder trees of PNGs."""

import pickle
import struct

import numpy as np
import pytest
import torch

from cnnscope.train import DatasetError, prepare_run, quick_train
from cnnscope.train.datasets import load_dataset, load_digits


pytestmark = pytest.mark.usefixtures("one_thread")


MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte"]


def write_idx(path, array: np.ndarray) -> None:
    """torchvision's raw MNIST format: magic (0, 0, type 0x08 = ubyte, ndim), big-endian sizes, bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", s) for s in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def fake_mnist(root, folder="MNIST", n=60, seed=0):
    """``n`` 28×28 training images whose class is readable from their brightness (so a net can learn)."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    labels = np.arange(n) % 10
    images = rng.integers(0, 40, (n, 28, 28)) + labels[:, None, None] * 20
    write_idx(raw / "train-images-idx3-ubyte", images)
    write_idx(raw / "train-labels-idx1-ubyte", labels)
    write_idx(raw / "t10k-images-idx3-ubyte", images[:10])
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[:10])
    return images, labels


def fake_image_folder(root, sizes=((10, 12), (16, 16), (9, 9)), per_class=4):
    from PIL import Image

    colours = {"cats": (200, 30, 30), "dogs": (30, 30, 200)}
    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            height, width = sizes[i % len(sizes)]
            Image.new("RGB", (width, height), colour).save(root / name / f"{i}.png")
    return sorted(colours)


def test_digits_are_the_real_scikit_learn_digits():
    digits = load_digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == torch.uint8
    assert int(digits.images.max()) == 16 and digits.scale == 16.0
    assert digits.classes == [str(d) for d in range(10)]
    assert torch.bincount(digits.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    from sklearn.datasets import load_digits as sklearn_digits

    reference = sklearn_digits()
    assert np.array_equal(digits.images.reshape(1797, 64).numpy(), reference.data.astype(np.uint8))
    assert np.array_equal(digits.labels.numpy(), reference.target)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_style_files_load_through_torchvision(tmp_path, name, folder):
    images, labels = fake_mnist(tmp_path, folder)
    data = load_dataset(name, tmp_path)
    assert data.images.shape == (60, 1, 28, 28) and data.images.dtype == torch.uint8
    assert np.array_equal(data.images[:, 0].numpy(), images.astype(np.uint8))
    assert data.labels.tolist() == labels.tolist()
    assert len(data.classes) == 10 and data.scale == 255.0


def test_missing_mnist_names_the_files_and_the_folder(tmp_path):
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", tmp_path / "nowhere")
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert f"{tmp_path / 'nowhere' / 'MNIST' / 'raw'}/" in message
    assert all(f in message for f in MNIST_FILES) and "--download" in message


def test_partly_present_mnist_lists_only_what_is_missing(tmp_path):
    fake_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match=r"put t10k-labels-idx1-ubyte \("):
        load_dataset("mnist", tmp_path)


def test_cifar10_batches_load_through_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as cifar

    monkeypatch.setattr(cifar, "check_integrity", lambda *args, **kwargs: True)  # fake files, fake checksums
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index, name in enumerate(["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                                  "test_batch"]):
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [index, 1, 2, 3]}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))
    data = load_dataset("cifar10", tmp_path)
    assert data.images.shape == (20, 3, 32, 32) and data.labels.tolist()[:4] == [0, 1, 2, 3]
    first = pickle.loads((folder / "data_batch_1").read_bytes())["data"][0].reshape(3, 32, 32)
    assert np.array_equal(data.images[0].numpy(), first)  # channels first, as stored
    assert data.classes[:2] == ["c0", "c1"]


def test_missing_cifar10_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetError, match=r"cifar10 not found: put data_batch_1, .* in .*cifar-10-batches-py/"):
        load_dataset("cifar10", tmp_path)


def test_image_folder_is_decoded_once_at_the_model_size(tmp_path):
    classes = fake_image_folder(tmp_path / "pets")
    data = load_dataset(f"folder:{tmp_path / 'pets'}", size=(28, 28), channels=1)
    assert data.images.shape == (8, 1, 28, 28) and data.images.dtype == torch.uint8
    assert data.classes == classes and data.labels.tolist() == [0] * 4 + [1] * 4
    red_gray = round(0.299 * 200 + 0.587 * 30 + 0.114 * 30)
    assert abs(int(data.images[0].float().mean().round()) - red_gray) <= 1  # PIL's "L" conversion
    rgb = load_dataset(f"folder:{tmp_path / 'pets'}", size=(5, 7), channels=3)
    assert rgb.images.shape == (8, 3, 5, 7) and rgb.images[-1, 2].float().mean() == 200


def test_image_folder_errors_are_one_line(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset(f"folder:{tmp_path / 'absent'}")
    (tmp_path / "one" / "only").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "one" / "only" / "a.png")
    with pytest.raises(DatasetError, match="at least 2"):
        load_dataset(f"folder:{tmp_path / 'one'}")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no valid file for the classes a"):
        load_dataset(f"folder:{tmp_path / 'empty'}")


def test_unknown_dataset_suggests_the_close_name():
    with pytest.raises(DatasetError, match="did you mean mnist"):
        load_dataset("minst")


def test_fake_mnist_trains_end_to_end_with_a_replaced_head(tmp_path):
    fake_mnist(tmp_path, n=80)
    run = prepare_run("in1x14x14,c3-4,relu,mp2,flat,fc5", "mnist", data_root=str(tmp_path), seed=0)
    assert run.config["input_shape"] == [1, 14, 14] and run.config["replaced_head"]
    assert any("resized from 28×28 to 14×14" in n for n in run.notes)
    history = quick_train(run.model, run.data, epochs=2, batch_size=16, lr=0.01, config=run.config)
    assert history.config["num_classes"] == 10 and history.config["train_size"] == 64
    assert history.epochs[-1].train_loss < history.steps[0].loss


def test_image_folder_feeds_an_rgb_model(tmp_path):
    fake_image_folder(tmp_path / "pets")
    run = prepare_run("in3x8x8,c3-4,relu,flat,fc2", f"folder:{tmp_path / 'pets'}", val_split=0.25, seed=0)
    assert run.data.x.shape == (6, 3, 8, 8) and run.data.x_val.shape == (2, 3, 8, 8)
    assert run.config["replaced_head"] is None and run.data.classes == ["cats", "dogs"]
    history = quick_train(run.model, run.data, epochs=3, batch_size=3, lr=0.05, config=run.config)
    assert history.epochs[-1].train_acc == 1.0  # one colour per class
