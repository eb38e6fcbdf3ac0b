"""Measured peak memory (probes/memory.py) against hand arithmetic, and `summary --measure`."""

from __future__ import annotations

import json

import torch
from torch import nn

import cnnscope
from cnnscope.probes.memory import measure_peak


def _stack():
    """Linear(8,16) → ReLU → Linear(16,16) → ReLU → Linear(16,4): 1,936 bytes of float32 parameters."""
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))


def test_cpu_forward_peak_is_the_live_activations_by_hand():
    model = _stack()
    # Batch 2, float32: each hidden tensor 2·16·4 = 128 bytes, the output 2·4·4 = 32.
    # Autograd recording: ReLU keeps its output for the backward, an addmm result dies once
    # ReLU has read it.  Peak at relu2: relu1 (kept) + addmm2 (being read) + relu2 = 384.
    recorded = measure_peak(model, (2, 8))
    assert recorded.peak_bytes == 3 * 128 and recorded.grad_bytes == 0
    # no_grad: only the tensor being read and the one being written are alive: 128 + 128.
    inference = measure_peak(model, (2, 8), grad=False)
    assert inference.peak_bytes == 2 * 128
    assert recorded.param_bytes == (8 * 16 + 16 + 16 * 16 + 16 + 16 * 4 + 4) * 4 == 1936
    assert recorded.input_bytes == 2 * 8 * 4 and recorded.buffer_bytes == 0
    assert recorded.total_bytes == 384 + 1936 + 64


def test_training_peak_holds_the_gradients_and_exceeds_the_forward():
    model = _stack()
    before = [p.detach().clone() for p in model.parameters()]
    forward = measure_peak(model, (2, 8))
    training = measure_peak(model, (2, 8), training=True)
    assert training.grad_bytes == 1936  # one gradient per parameter, same dtype
    assert training.peak_bytes > forward.peak_bytes and training.peak_bytes >= training.grad_bytes + 32
    # the model is left as it was: no gradients, same weights, same flag
    assert all(p.grad is None for p in model.parameters()) and model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_a_meta_model_gets_seeded_weights_and_views_count_once():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 16, 2))
    peak = measure_peak(model, (1, 3, 4, 4), grad=False)
    # conv output 8·4·4·4 = 512 bytes; flatten is a view of it (not counted again); linear 8 bytes
    assert peak.peak_bytes == 512 + 8 and peak.param_bytes == (8 * 27 + 8 + 2 * 128 + 2) * 4


def test_summary_measure_puts_the_measurement_beside_the_estimate(run_cli):
    code, out, err = run_cli("summary", "lenet5", "--measure", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    measured, totals = data["measured"], data["totals"]
    assert measured["device"] == "cpu" and totals["activation_bytes"] == 58_408  # the estimate is unchanged
    assert measured["grad_bytes"] == totals["param_bytes"] == 246_824
    assert measured["training_peak_bytes"] > measured["forward_peak_bytes"] > 0
    assert measured["training_bytes_adam"] - measured["training_bytes_sgd"] == totals["param_bytes"]
    report = cnnscope.ModelReport.from_dict(data)
    assert report.measured == measured
    code, out, _ = run_cli("summary", "lenet5", "--measure", "--depth", "0")
    line = next(line for line in out.splitlines() if line.startswith("Activation memory"))
    assert line.endswith(f"estimate 0.06 MB, measured {measured['forward_peak_bytes'] / 2**20:.2f} MB")
