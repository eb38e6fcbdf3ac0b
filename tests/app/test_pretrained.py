"""Pretrained weights and the prediction on the Filters & feature maps page, and the downloader.

Nothing is downloaded: the "pretrained" file is squeezenet1_1's state_dict drawn under seed 1, saved
in a temporary TORCH_HOME under the name torchvision's URL gives it; the downloader reads file://
URLs and a local http.server."""

import hashlib
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnscope import weights as weights_module
from cnnscope.errors import WeightsError
from cnnscope.weights import download_file, download_pretrained, load_pretrained_weights, pretrained_file

from .shown import shown

NAME = "squeezenet1_1"  # the smallest torchvision classifier with weights (4.7 MB)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def _seeded_state(seed: int = 1) -> dict:
    import torchvision

    torch.manual_seed(seed)
    return torchvision.models.squeezenet1_1().state_dict()


@pytest.fixture
def cached(torch_home):
    """squeezenet1_1's weights in the cache layout: $TORCH_HOME/hub/checkpoints/squeezenet1_1-b8a52dc0.pth."""
    path = torch_home / "hub" / "checkpoints" / "squeezenet1_1-b8a52dc0.pth"
    path.parent.mkdir(parents=True)
    state = _seeded_state()
    torch.save(state, path)
    assert pretrained_file(NAME).path == path
    return state


# -- the core: the cache file, the downloader -------------------------------------------------------------

def test_the_cache_path_follows_torch_home_and_the_size_comes_from_torchvision(torch_home):
    info = pretrained_file(NAME)
    assert info.path == torch_home / "hub" / "checkpoints" / "squeezenet1_1-b8a52dc0.pth" and not info.cached
    assert info.size_text == "4.7 MB" and info.url == "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth"
    assert len(info.categories) == 1000 and info.categories[0] == "tench"


def test_pretrained_weights_load_from_the_cache_file(cached):
    from cnnscope.sources import load_model

    model = load_model(NAME, "cpu").module  # seed 0: other numbers than the file's seed 1
    assert not torch.equal(model.features[0].weight, cached["features.0.weight"])
    origin = load_pretrained_weights(model, NAME)
    assert origin == "torchvision pretrained weights (DEFAULT)"
    assert all(torch.equal(model.state_dict()[k], v) for k, v in cached.items())


def test_missing_weights_say_where_they_go_and_their_size(torch_home):
    from cnnscope.sources import load_model

    with pytest.raises(WeightsError) as caught:
        load_pretrained_weights(load_model(NAME, "cpu").module, NAME)
    assert str(caught.value) == (f"torchvision's pretrained weights for {NAME} are not in the local cache "
                                 f"({pretrained_file(NAME).path}); pass --download to fetch them (4.7 MB, needs internet)")


def _source(tmp_path, data: bytes) -> tuple[str, str]:
    """(file:// URL of ``data`` under a torchvision-style name holding its hash prefix, the prefix)."""
    prefix = hashlib.sha256(data).hexdigest()[:8]
    source = tmp_path / "served" / f"net-{prefix}.pth"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(data)
    return source.as_uri(), prefix


def test_a_download_is_chunked_followed_and_renamed_into_place(tmp_path):
    data = bytes(range(256)) * 40  # 10,240 bytes
    url, prefix = _source(tmp_path, data)
    seen = []
    target = tmp_path / "cache" / "net.pth"
    assert download_file(url, target, hash_prefix=prefix, progress=lambda d, t: seen.append((d, t)),
                         chunk_bytes=4096) == target
    assert target.read_bytes() == data and list(target.parent.iterdir()) == [target]
    assert seen == [(4096, 10240), (8192, 10240), (10240, 10240)]


def test_a_wrong_hash_leaves_no_file(tmp_path):
    url, prefix = _source(tmp_path, b"not the weights")
    target = tmp_path / "cache" / "net.pth"
    with pytest.raises(WeightsError, match="does not start with 0000"):
        download_file(url, target, hash_prefix="0000" + prefix[4:])  # hand-altered prefix
    assert list(target.parent.iterdir()) == []  # neither the file nor its temporary


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Promises 1,000 bytes, sends 10, hangs up: a connection lost mid-download."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_download_cut_short_leaves_no_file(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _CutShort)
    threading.Thread(target=server.handle_request, daemon=True).start()
    target = tmp_path / "cache" / "net.pth"
    try:
        with pytest.raises(WeightsError, match=r"downloading http://127\.0\.0\.1:\d+/net\.pth failed"):
            download_file(f"http://127.0.0.1:{server.server_port}/net.pth", target)
    finally:
        server.server_close()
    assert list(target.parent.iterdir()) == []


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def test_offline_the_message_names_the_url_and_the_cache_path(torch_home):
    info = replace(pretrained_file(NAME), url=f"http://127.0.0.1:{_closed_port()}/squeezenet1_1-b8a52dc0.pth")
    with pytest.raises(WeightsError) as caught:
        download_pretrained(info)
    message = str(caught.value)
    assert message.startswith(f"downloading {info.url} failed (") and "\n" not in message
    assert message.endswith(f"fetch that URL elsewhere and put the file at {info.path}")
    assert not info.path.exists()


def test_the_cli_downloads_when_asked_then_reads_the_cache(run_cli, torch_home, tmp_path, monkeypatch):
    import io

    buffer = io.BytesIO()
    torch.save(_seeded_state(), buffer)
    url, _ = _source(tmp_path, buffer.getvalue())
    original = weights_module.pretrained_file
    monkeypatch.setattr(weights_module, "pretrained_file", lambda name: replace(original(name), url=url))
    code, out, err = run_cli("filters", NAME, "--pretrained", "--download", "-o", str(tmp_path / "f.png"))
    assert code == 0, err
    path = original(NAME).path
    assert err.splitlines() == [f"downloading {url} (4.7 MB) to {path}", f"downloaded {path}"]
    assert out.strip().endswith("weights: torchvision pretrained weights (DEFAULT)") and path.is_file()
    code, out, err = run_cli("filters", NAME, "--pretrained", "--download", "-o", str(tmp_path / "f.png"))
    assert code == 0 and err == ""  # in the cache now: nothing fetched


# -- the app ----------------------------------------------------------------------------------------------

@pytest.fixture
def page():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    return at


def _open(at, model: str):
    at.sidebar.selectbox(key="zoo_model").set_value(model).run()
    at.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _texts(at) -> list[str]:
    return [shown(m.value) for m in at.markdown] + [shown(c.value) for c in at.caption]


def _expected_top5(state: dict, categories) -> list[str]:
    """The page's top-5 lines, computed here: the model with ``state``, the sample photo as the page
    feeds it, torch's softmax."""
    import torchvision

    from cnnscope.app import model_choice
    from cnnscope.app.pages.images import sample_photo
    from cnnscope.app.pages.visuals import model_inputs as _inputs

    model = torchvision.models.squeezenet1_1()
    model.load_state_dict(state)
    model.eval()
    inputs, _ = _inputs(model_choice.natural_choice(NAME), sample_photo())
    with torch.no_grad():
        probabilities = torch.softmax(model(inputs)[0].double(), 0)
    values, indices = probabilities.topk(5)
    return [f"{categories[i]} — {p * 100:.1f} %" for p, i in zip(values.tolist(), indices.tolist())]


def _prediction(at) -> list[str]:
    """The top-5 lines as a visitor reads them (a numbered list: the numbers are the list's)."""
    [markdown] = [m.value for m in at.markdown if m.value.startswith("**Prediction**")]
    assert [line.split(". ", 1)[0] for line in markdown.splitlines()[2:]] == ["1", "2", "3", "4", "5"], markdown
    return [line for line in shown(markdown).splitlines()[1:] if line]


def test_the_page_uses_cached_pretrained_weights_and_names_imagenet_classes(page, cached):
    at = _open(page, NAME)
    assert list(at.radio(key="vis_source").options) == ["Random (seed 0)", "Pretrained", "Uploaded file"]
    at.radio(key="vis_source").set_value("Pretrained").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    texts = _texts(at)
    assert f"Pretrained weights from the local cache: {pretrained_file(NAME).path}" in texts
    assert not at.button, "no Download button when the file is there"
    assert _prediction(at) == _expected_top5(cached, pretrained_file(NAME).categories)
    from cnnscope.app import real_models

    model, origin, _ = real_models.view_model(__import__("cnnscope.app.model_choice", fromlist=["x"]).natural_choice(NAME),
                                              pretrained=True)
    assert origin == "torchvision pretrained weights (DEFAULT)"
    assert torch.equal(model.features[0].weight, cached["features.0.weight"])


def test_without_the_file_the_page_shows_the_size_and_downloads_only_on_the_click(page, torch_home, tmp_path,
                                                                                 monkeypatch):
    import io

    buffer = io.BytesIO()
    state = _seeded_state()
    torch.save(state, buffer)
    url, _ = _source(tmp_path, buffer.getvalue())
    original = weights_module.pretrained_file
    monkeypatch.setattr(weights_module, "pretrained_file", lambda name: replace(original(name), url=url))
    at = _open(page, NAME)
    at.radio(key="vis_source").set_value("Pretrained").run()
    path = original(NAME).path
    assert f"torchvision's IMAGENET1K_V1 weights for {NAME} are not in the local cache ({path}). " \
           f"Download 4.7 MB from {url}?" in _texts(at)
    assert at.button(key="vis_download").label == "Download (4.7 MB)"
    assert not path.exists() and not any(t.startswith("Prediction") for t in _texts(at))  # nothing until the click
    at.button(key="vis_download").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert path.read_bytes() == buffer.getvalue()
    assert _prediction(at) == _expected_top5(state, original(NAME).categories)


def test_offline_the_page_says_what_is_missing_and_where_to_put_it(page, torch_home, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/squeezenet1_1-b8a52dc0.pth"
    original = weights_module.pretrained_file
    monkeypatch.setattr(weights_module, "pretrained_file", lambda name: replace(original(name), url=url))
    at = _open(page, NAME)
    at.radio(key="vis_source").set_value("Pretrained").run()
    at.button(key="vis_download").click().run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith(f"downloading {url} failed (") and error.endswith(
        f"put the file at {original(NAME).path}") and "\n" not in error


def test_a_teaching_model_says_why_there_is_no_pretrained_choice(page):
    at = _open(page, "lenet5")
    assert list(at.radio(key="vis_source").options) == ["Random (seed 0)", "Uploaded file"]
    assert ("No pretrained choice: lenet5 is one of cnnscope's own teaching models, and nobody publishes weights "
            "for it; train it on the Train page or upload a .pt.") in _texts(at)
    assert _prediction(at)[0].startswith("class ")  # no names for random weights on the photo
    assert "Random weights: these probabilities are noise, not knowledge." in _texts(at)


def test_the_output_layer_is_drawn_as_bars_named_by_class_only_when_it_is_the_output(monkeypatch):
    from cnnscope.app import model_choice, real_models
    from cnnscope.app.pages import visuals
    from cnnscope.app.pages.images import sample_photo
    from cnnscope.vis import feature_maps

    choice = model_choice.natural_choice("lenet5")
    model, origin, lock = real_models.view_model(choice)
    image = sample_photo()
    key = real_models.image_key(image)
    _, logits = visuals._prediction(choice, "random", key, _model=model, _image=image, _lock=lock)
    calls = []
    monkeypatch.setattr(feature_maps, "value_bars", lambda values, title, names=None, top=None: calls.append(
        (np.asarray(values).copy(), names)))
    names = tuple(str(d) for d in range(10))
    layers = [r.name for r in model_choice.report(choice).layers if r.name]
    visuals._feature_picture.clear()
    for layer in (layers[-1], layers[-3]):  # the last Linear (10 outputs) and the one before (84)
        visuals._feature_picture(choice, "random", layer, key, "photo", 16, origin, output_names=names,
                                 _model=model, _image=image, _lock=lock, _logits=logits)
    (last, last_names), (hidden, hidden_names) = calls
    assert np.allclose(last, logits) and last_names == names
    assert hidden.shape == (84,) and hidden_names is None


def test_a_trained_run_shows_which_weights_and_names_the_digits(page):
    from cnnscope.app import model_choice

    from .test_pages import _start_training, _wait

    job = _start_training(page)
    _wait(job)
    page.run()
    at = page
    at.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.checkbox(key="vis_trained").value is True
    label = at.selectbox(key="vis_trained_which").value
    assert label.startswith("run ") and " · final epoch 1" in label
    run = label.split(" · ")[0]
    assert f"Showing {run}'s final weights (its last epoch, epoch 1)." in _texts(at)
    at.radio(key="maps_src").set_value("Handwritten digit").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from cnnscope.vis.images import digits_image
    from cnnscope.app.pages.visuals import model_inputs as _inputs

    model = at.session_state.trained_model[1]
    norm = job.history.config["normalization"]  # the digit is fed as the run fed its training images
    inputs, _ = _inputs(model_choice.natural_choice("lenet5"), digits_image("17"),
                        (tuple(norm["mean"]), tuple(norm["std"])))
    with torch.no_grad():
        probabilities = torch.softmax(model(inputs)[0].double(), 0)
    best = int(probabilities.argmax())
    assert _prediction(at)[0] == f"{best} — {float(probabilities[best]) * 100:.1f} %"  # named by digit


def test_the_cli_names_the_output_bars_by_class_with_pretrained_weights(run_cli, cached, tmp_path, monkeypatch):
    from cnnscope.vis import feature_maps

    calls = []
    original = feature_maps.value_bars
    monkeypatch.setattr(feature_maps, "value_bars", lambda values, title, names=None, top=None: calls.append(
        names) or original(values, title, names=names, top=top))
    for layer in ("flatten", "classifier.3"):  # the output itself; a 1000×1×1 map: a grid, no bars
        code, _, err = run_cli("features", NAME, "--pretrained", "--image", "digits:3", "--layer", layer,
                               "-o", str(tmp_path / "f.png"))
        assert code == 0, err
    assert calls == [pretrained_file(NAME).categories and list(pretrained_file(NAME).categories)]
    code, _, err = run_cli("features", NAME, "--image", "digits:3", "--layer", "flatten", "-o", str(tmp_path / "f.png"))
    assert code == 0 and calls[1] is None and "note: 1000 values; drew the 32 largest as bars" in err


def test_densenet_files_keys_are_renamed_as_torchvision_does():
    import torchvision

    model = torchvision.models.densenet121()
    keys = [k for k in model.state_dict() if "denselayer" in k and "num_batches" not in k][:6]  # (the old files
    # predate num_batches_tracked)  # features.denseblock1.denselayer1.norm1.weight ...
    old = {k.replace(".norm1.", ".norm.1.").replace(".conv1.", ".conv.1.").replace(".norm2.", ".norm.2.")
           .replace(".conv2.", ".conv.2."): k for k in keys}  # the names of the published files
    assert any(".norm.1." in k for k in old) and all(k != v for k, v in old.items())
    renamed = weights_module._renamed("densenet121", {k: torch.zeros(1) for k in old})
    assert sorted(renamed) == sorted(keys)
    assert weights_module._renamed("resnet18", {"layer.norm.1.weight": 0}) == {"layer.norm.1.weight": 0}
