"""``timm:NAME``: timm's models by name, without pretrained weights; natural input from their config."""

import sys

import pytest
import torch

import cnnscope

timm = pytest.importorskip("timm")

# One model per family: CNNs, mobile nets, vision transformers, hybrids, MLP mixers.
SAMPLE = ["resnet50", "convnext_tiny", "efficientnet_b0", "mobilenetv3_small_100", "regnety_002",
          "vit_tiny_patch16_224", "swin_tiny_patch4_window7_224", "deit_tiny_patch16_224", "mixer_s16_224",
          "resnest14d", "ghostnet_100", "coat_lite_tiny"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SAMPLE)
def test_params_and_macs_equal_unique_parameters_and_flop_counter(name):
    from torch.utils.flop_counter import FlopCounterMode

    report = cnnscope.analyze(f"timm:{name}")
    assert report.traced_on == "meta"
    model = cnnscope.build_model(f"timm:{name}", device="meta").eval()
    unique = {id(p): p.numel() for p in model.parameters()}
    assert report.totals.params == sum(unique.values())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(report.input_shape, device="meta"))
    assert 2 * report.totals.macs == counter.get_total_flops()


def test_natural_input_comes_from_the_pretrained_config():
    from cnnscope.zoo import get_entry

    assert get_entry("timm:convnext_tiny").input_shape == (3, 224, 224)
    assert get_entry("timm:efficientnet_b3").input_shape == tuple(
        timm.models.get_pretrained_cfg("efficientnet_b3").input_size)


def test_unknown_timm_name_suggests_close_names(run_cli):
    code, _, err = run_cli("summary", "timm:convnext_tyni")
    run_cli.assert_one_line_error(code, err, "unknown timm model 'convnext_tyni'", "timm:convnext_tiny")


def test_timm_not_installed_says_how_to_get_it(run_cli, monkeypatch):
    from cnnscope.zoo import timm_models

    monkeypatch.setattr(timm_models, "timm_version", lambda: None)
    code, _, err = run_cli("summary", "timm:resnet50")
    run_cli.assert_one_line_error(code, err, "pip install \"cnnscope[timm]\"")
    code, _, err = run_cli("list", "timm:*")
    run_cli.assert_one_line_error(code, err, "timm is not installed")


def test_summary_and_compare_accept_timm_names(run_cli):
    code, out, _ = run_cli("summary", "timm:resnet18", "--format", "json")
    assert code == 0 and '"model": "timm:resnet18"' in out
    code, out, _ = run_cli("compare", "resnet18", "timm:resnet18")
    assert code == 0 and "timm:resnet18" in out


def test_listing_timm_imports_neither_torch_nor_timm(tmp_path):
    import os
    import subprocess

    code = ("import sys\n"
            "from cnnscope.cli.main import main\n"
            "main(['list', 'timm:*convnext*'])\n"
            "print('imported' if {'torch', 'timm'} & set(sys.modules) else 'clean')\n")
    env = {**os.environ, "CNNSCOPE_CACHE": str(tmp_path / "reports")}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr  # the first listing writes the name list (imports timm)
    assert (tmp_path / f"timm-names-{timm.__version__}.json").is_file()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "timm:convnext_tiny" in done.stdout and done.stdout.strip().endswith("clean")


def test_timm_pretrained_weights_come_from_the_local_cache_only(tmp_path, monkeypatch):
    """--pretrained reads the Hugging Face cache; without a copy it says so instead of downloading."""
    from safetensors.torch import save_file

    from cnnscope.errors import WeightsError
    from cnnscope.weights import load_pretrained_weights
    from cnnscope.sources import load_model

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    model = load_model("timm:resnet18", device="cpu").module
    with pytest.raises(WeightsError, match=r"timm:resnet18: its pretrained weights \(Hugging Face repo "
                                           r"timm/resnet18.a1_in1k\) are not in the local cache.*--download"):
        load_pretrained_weights(model, "timm:resnet18")

    torch.manual_seed(1)
    saved = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in load_model(
        "timm:resnet18", device="cpu").module.state_dict().items()}
    snapshot = tmp_path / "models--timm--resnet18.a1_in1k" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "models--timm--resnet18.a1_in1k" / "refs").mkdir()
    (tmp_path / "models--timm--resnet18.a1_in1k" / "refs" / "main").write_text("abc123")
    save_file({k: v.contiguous() for k, v in saved.items()}, str(snapshot / "model.safetensors"))
    origin = load_pretrained_weights(model, "timm:resnet18")
    assert origin == "timm pretrained weights (a1_in1k)"
    assert torch.equal(model.conv1.weight, saved["conv1.weight"]) and torch.equal(model.fc.bias, saved["fc.bias"])
