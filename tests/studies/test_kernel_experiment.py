"""The kernel experiment: the seed reaches the initialisation, the split and the shuffle; the verdict and
the convergence flag are computed from numbers (synthetic ones here), chance included; the JSON contract;
bad input."""

import json
import math
import statistics

import pytest
import torch

from cnnscope.export.kernels import verdict_data, verdict_text
from cnnscope.studies.kernels import experiment as ke
from cnnscope.studies.kernels.variants import kernel_classifier
from cnnscope.studies.kernels.verdict import curve_mean_sd, judge, mean_sd
from cnnscope.train.history import TrainHistory


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_the_seed_reaches_the_initialisation():
    first = _weights(kernel_classifier("stack3x3", 7, 8, seed=3, size=8))
    again = _weights(kernel_classifier("stack3x3", 7, 8, seed=3, size=8))
    other = _weights(kernel_classifier("stack3x3", 7, 8, seed=4, size=8))
    assert first.keys() == again.keys() == other.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert all(not torch.equal(first[k], other[k]) for k in first)  # every tensor: stem, variant, head
    user = kernel_classifier("mine", 5, 4, seed=3, size=8, spec="c3-4ps,relu,c3-4ps,relu")
    assert isinstance(user[2], torch.nn.Module) and user(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_the_seed_reaches_the_split():
    cache = {}
    _, zero = ke._data(0, ke.Settings(), cache)
    _, zero_again = ke._data(0, ke.Settings(), {})
    _, one = ke._data(1, ke.Settings(), cache)
    assert zero.x.shape[1:] == (1, 8, 8)  # the digits at their own size
    assert torch.equal(zero.y_val, zero_again.y_val) and not torch.equal(zero.y_val, one.y_val)


def test_same_seed_same_numbers_different_seed_different(one_thread):
    settings = ke.Settings(channels=4, epochs=2, seeds=(0,), max_steps=6)
    a = ke.run_experiment(settings, erf=False).results["stack3x3"].runs[0]
    b = ke.run_experiment(settings, erf=False).results["stack3x3"].runs[0]
    c = ke.run_experiment(ke.Settings(channels=4, epochs=2, seeds=(1,), max_steps=6, threads=2),
                          erf=False).results["stack3x3"].runs[0]
    assert a.train_loss == b.train_loss and a.final_val_acc == b.final_val_acc
    assert a.train_loss != c.train_loss
    # a run is its TrainHistory, plus the seed and what was measured around it
    assert isinstance(a.history, TrainHistory) and a.seed == 0
    assert a.final_val_acc == a.history.last.val_acc and a.best_val_acc == a.history.best_val_acc
    assert a.train_loss == [e.train_loss for e in a.history.epochs] and a.status == a.history.status
    assert 0 < a.majority_rate < 0.2 and a.n_val == 359  # the digits' 20 % split, ten near-even classes
    assert torch.get_num_threads() == 1  # the experiment's thread count is undone afterwards


# -- the convergence flag, on synthetic loss curves ---------------------------------------------------

def test_a_loss_still_falling_is_not_converged():
    falling = [2.3 - 0.06 * k for k in range(30)]            # a straight line down: still falling at the end
    assert not ke.converged(falling)
    plateau = [0.3 + 2.0 * math.exp(-k / 3) for k in range(30)]  # fell fast, then flat
    assert ke.converged(plateau)
    slow = [0.3 + 2.0 * math.exp(-k / 12) for k in range(30)]    # still a fifth of its fall to go
    assert not ke.converged(slow)
    assert ke.converged([2.3, 0.5, 0.02, 0.009])                 # fitted: below FITTED_LOSS
    assert not ke.converged([2.3, 2.2])                            # too short to show a trend
    assert not ke.converged([2.3, float("nan"), 1.0, 0.9, 0.9])    # diverged somewhere
    assert ke.converged([2.3] * 10)                                # flat from the start: not learning, but done


# -- the verdict, on synthetic numbers ------------------------------------------------------------------

def _stats(rate=0.1, n_val=360, **accs):
    params = {"single": 49, "stack3x3": 27, "factorized": 14, "dilated": 18}
    return {kind: {"val_acc": acc, "train_loss": loss, "converged": [True] * len(acc), "params": params[kind] * 1024,
                   "macs": params[kind] * 65536, "majority_rate": rate, "n_val": n_val}
            for kind, (acc, loss) in accs.items()}


def verdict(stats, **options) -> dict:
    """The verdict as the JSON has it: its data, and the prose made from it."""
    return verdict_data(judge(stats, **options))


def test_a_difference_beyond_the_seed_spread_is_resolved():
    stats = _stats(single=([0.84, 0.90, 0.969], [0.40, 0.35, 0.45]), stack3x3=([0.97, 0.98, 0.991], [0.03, 0.02, 0.04]))
    v = verdict(stats, rf=7)
    single, stack = stats["single"]["val_acc"], stats["stack3x3"]["val_acc"]
    difference = statistics.fmean(stack) - statistics.fmean(single)
    spread = statistics.stdev(stack) + statistics.stdev(single)
    assert difference > spread
    assert v["resolved"] is True and v["best"] == "stack3x3" and v["baseline"] == "single"
    (c,) = v["comparisons"]
    assert c["difference"] == pytest.approx(difference) and c["spread"] == pytest.approx(spread)
    assert c["params_ratio"] == pytest.approx(27 / 49) and c["macs_ratio"] == pytest.approx(27 / 49)
    assert f"+{100 * difference:.1f} points, more than the seed spread of {100 * spread:.1f} points" in v["text"]
    assert "0.55× the weights" in v["text"] and "stack3x3 also fits the training data better" in v["text"]
    assert "lower accuracy goes with underfitting" in v["text"]
    assert v["text"].startswith("At a 7×7 field, stack3x3 is more accurate on the validation images than the "
                                "single 7×7")
    # fewer weights is a saving (27/49 = 0.55×, 45% fewer), and "generalises better" is never said of a variant
    # whose higher accuracy the prose then puts down to the other's underfitting
    assert "Saving: stack3x3 has 0.55× the weights (45% fewer) and 0.55× the MACs" in v["text"]
    assert "generalises better" not in v["text"] and "Price" not in v["text"]


def test_a_difference_within_the_seed_spread_is_not_resolved():
    v = verdict(_stats(single=([0.95, 0.97, 0.99], [0.1, 0.1, 0.1]),
                          stack3x3=([0.96, 0.975, 0.985], [0.2, 0.2, 0.2])), rf=7)
    assert v["resolved"] is False and v["best"] == "stack3x3"
    assert "not resolved at this budget" in v["text"] and "within the seed spread" in v["text"]
    # fitting and generalising are told apart: the single k×k has the lower training loss
    assert v["fits_best"] == "single" and "single fits the training data best" in v["text"]
    assert "stack3x3 does not fit the training data better by more than the seed spread" in v["text"]
    assert "but stack3x3 is the most accurate on the validation images" in v["text"]


def test_one_seed_is_never_resolved_and_the_baseline_can_win():
    v = verdict(_stats(single=([0.99], [0.1]), stack3x3=([0.5], [1.0])), rf=7)
    assert v["resolved"] is False and v["best"] == "single"
    v = verdict(_stats(single=([0.90], [0.1]), stack3x3=([0.99], [0.0])), rf=7)
    assert v["resolved"] is False and "only one seed" in v["text"]
    won = verdict(_stats(single=([0.98, 0.99, 0.985], [0.1] * 3), stack3x3=([0.5, 0.52, 0.55], [1.0] * 3)), rf=7)
    assert won["resolved"] is True and won["best"] == "single" and "ahead of every other variant" in won["text"]


def test_not_converged_runs_are_named_in_the_verdict():
    stats = _stats(single=([0.9, 0.91], [0.5, 0.5]), stack3x3=([0.97, 0.98], [0.1, 0.1]))
    stats["single"]["converged"] = [False, True]
    v = verdict(stats, rf=7)
    assert v["not_converged"] == ["single"] and "single (1 of 2 seeds)" in v["text"]


# -- the command ----------------------------------------------------------------------------------------

QUICK = ("--channels", "4", "--epochs", "2", "--seeds", "2", "--max-steps", "4")


def test_json_contract(run_cli, one_thread):
    code, out, err = run_cli("kernels", "--train", "--format", "json", *QUICK,
                             "--variant", "5then3=c5-4psnb,relu,c3-4psnb,relu")
    assert code == 0, err
    data = json.loads(out)
    assert [v["kind"] for v in data["variants"]] == ["single", "stack3x3", "factorized", "dilated", "5then3"]
    assert data["variants"][4]["params"] == (25 + 9) * 16 and data["variants"][4]["nonlinearities"] == 2
    training = data["training"]
    assert training["seeds"] == [0, 1] and training["epochs"] == 2 and training["lr"] == 3e-3
    assert training["input_size"] == [8, 8] and training["dataset"] == "digits"
    assert set(training["variants"]) == {"single", "stack3x3", "factorized", "dilated", "5then3"}
    for kind, v in training["variants"].items():
        assert {"val_acc", "val_acc_mean", "val_acc_sd", "train_loss", "converged", "seconds"} <= set(v)
        assert len(v["val_acc"]) == len(v["train_loss"]) == len(v["converged"]) == len(v["seconds"]) == 2
        assert all(0 <= a <= 1 for a in v["val_acc"]) and all(s > 0 for s in v["seconds"])
        assert v["val_acc_mean"] == pytest.approx(statistics.fmean(v["val_acc"]))
        assert v["val_acc_sd"] == pytest.approx(statistics.stdev(v["val_acc"]))
        assert all(isinstance(c, bool) for c in v["converged"])
        assert all(len(s) == 3 for s in v["erf_squares"])
    assert isinstance(training["verdict"]["text"], str) and isinstance(training["verdict"]["resolved"], bool)
    # 4 steps of a 4-channel net learn nothing: each variant says so, and no winner is called
    for v in training["variants"].values():
        assert v["learned"] is False and v["n_val"] == 359 and 0 < v["majority_rate"] < 0.2
        rate = v["majority_rate"]
        assert v["chance_margin"] == pytest.approx(max(0.05, 3 * math.sqrt(rate * (1 - rate) / 359)))
    assert training["verdict"]["resolved"] is False and training["verdict"]["best"] is None
    assert training["verdict"]["not_learned"] == ["single", "stack3x3", "factorized", "dilated", "5then3"]
    assert "no winner at this budget" in training["verdict"]["text"]
    assert "2 epochs, at most 4 steps" in training["verdict"]["text"]  # the budget says the cap, not 2 epochs alone
    assert training["variants"]["single"]["status"][0] != "completed"  # --max-steps cut the run short


def test_terminal_summary_and_reports(run_cli, tmp_path, one_thread):
    code, out, err = run_cli("kernels", "--train", *QUICK, "--seeds", "1")
    assert code == 0 and out.startswith("Does a stack of 3×3 beat one 7×7?") and "Verdict: " in out
    assert "Effective fields" in out and "final val acc" in out
    md = tmp_path / "k.md"
    assert run_cli("kernels", "--train", *QUICK, "--seeds", "1", "-o", md)[0] == 0
    text = md.read_text()
    assert "## Result (mean ± sd over seeds)" in text and "Verdict: " in text
    charts = sorted((tmp_path / "k_charts").glob("*.png"))
    assert len(charts) == 5 and all(p.read_bytes()[:4] == b"\x89PNG" for p in charts)  # curves, bands, heatmaps


@pytest.mark.parametrize("argv,fragment", [
    (["--rf", "6"], "only odd fields can be reached; try 5 or 7"),
    (["--rf", "1"], "at least 3"),
    (["--seeds", "0"], "--seeds 0"),
    (["--channels", "0"], "--channels 0: must be at least 1"),
    (["--rf", "9"], "--input-size 8 is smaller than the 9×9 field"),
    (["--input-size", "5"], "--input-size 5 is smaller than the 7×7 field"),
    (["--variant", "five=c5-32ps,relu"], "--variant five: its field is 5×5, not the 7×7 of --rf"),
    (["--variant", "wide=c7-16ps,relu"], "a variant must keep the 32 channels"),
    (["--variant", "nonsense"], "expected NAME=SPEC"),
    (["--variant", "x=c3-32psnb,rel"], "--variant x: unknown layer token 'rel'"),
    (["--lr", "0"], "--lr 0.0: must be a positive number"),
])
def test_bad_input_is_one_line(run_cli, argv, fragment):
    code, out, err = run_cli("kernels", "--train", *argv)
    run_cli.assert_one_line_error(code, err, fragment)
    assert fragment in err and out == ""


def test_training_options_need_train(run_cli):
    code, _, err = run_cli("kernels", "--epochs", "3")
    run_cli.assert_one_line_error(code, err)
    assert "--epochs: only with --train" in err


def test_the_question_itself_is_answered_when_another_variant_wins():
    stats = _stats(single=([0.90, 0.844, 0.964], [0.28, 0.34, 0.23]),
                   stack3x3=([0.978, 0.955, 0.981], [0.01, 0.056, 0.08]),
                   dilated=([0.981, 0.975, 0.972], [0.027, 0.018, 0.085]))
    v = verdict(stats, rf=7)
    assert v["best"] == "dilated" and v["resolved"] is True
    assert v["question"]["variant"] == "stack3x3" and v["question"]["resolved"] is False
    assert "The question itself, the 3×3 stack against the single 7×7: +6.9 points, within the seed spread" \
        in v["text"]


# -- the documented default result, and chance ----------------------------------------------------------

# docs/kernels.md, "The result": per-seed validation accuracy on the 360-image split (89.7 / 84.4 / 96.4 % ...),
# and final training losses with the documented mean ± sd (mean − sd, mean, mean + sd has exactly that sd).
DOCUMENTED = {"single": ([323, 304, 347], (0.281, 0.056), 50176),
              "stack3x3": ([352, 349, 354], (0.040, 0.032), 27648),
              "factorized": ([351, 349, 351], (0.040, 0.012), 14336),
              "dilated": ([355, 351, 350], (0.044, 0.036), 18432)}
BUDGET = "digits at 8×8, C=32, 30 epochs, lr 0.003, 3 seeds"
DOCUMENTED_TEXT = (
    "At a 7×7 field (digits at 8×8, C=32, 30 epochs, lr 0.003, 3 seeds), dilated is more accurate on the validation "
    "images than the single 7×7: 97.8% ± 0.7 points of validation accuracy against 90.2% ± 6.0 points for the single "
    "7×7, +7.6 points, more than the seed spread of 6.7 points. Saving: dilated has 0.37× the weights (63% fewer) "
    "and 0.37× the MACs of the single 7×7. "
    "The question itself, the 3×3 stack against the single 7×7: +7.5 points, more than the seed spread of 6.7 points. "
    "Against the single 7×7, the others: factorized +7.1 points (resolved; 0.29× the weights). Training loss against "
    "validation accuracy: dilated also fits the training data better (final training loss 0.044 against 0.281 for "
    "the single 7×7), so the single 7×7's lower accuracy goes with underfitting at this budget, not with a "
    "generalisation gap. "
    "Not converged (training loss still falling at the end) in single (3 of 3 seeds): more epochs may change these "
    "numbers.")


def _documented(rate=0.1, n_val=360):
    return {kind: {"val_acc": [c / 360 for c in correct], "train_loss": [m - sd, m, m + sd],
                   "converged": [kind != "single"] * 3, "params": params, "macs": params * 64,
                   "majority_rate": rate, "n_val": n_val}
            for kind, (correct, (m, sd), params) in DOCUMENTED.items()}


def test_the_documented_default_result_gives_the_documented_verdict():
    v = judge(_documented(), "single", 7, BUDGET)
    assert verdict_text(v) == DOCUMENTED_TEXT
    assert v.best == "dilated" and v.resolved and v.baseline == "single" and v.headline == "dilated"
    assert v.not_learned == () and all(s.learned for s in v.variants)
    assert v.question.variant == "stack3x3" and v.question.resolved
    assert v.stats("single").val_acc_mean == pytest.approx(0.9019, abs=1e-4)
    assert v.stats("single").val_acc_sd == pytest.approx(0.0599, abs=1e-4)  # "90.2 ± 6.0 %"
    data = verdict_data(v)
    assert list(data)[:10] == ["text", "resolved", "best", "baseline", "fits_best", "generalises_best", "comparisons",
                               "not_converged", "question", "rule"]  # the keys the JSON has always had, first
    assert json.loads(json.dumps(data, allow_nan=False)) == data  # JSON-safe
    assert data["variants"]["dilated"]["chance_margin"] == pytest.approx(0.05)
    assert data["variants"]["dilated"]["learned"] is True


def test_variants_at_chance_are_named_and_no_winner_is_called():
    stats = _stats(single=([0.11, 0.09, 0.12], [2.3] * 3), stack3x3=([0.13, 0.16, 0.12], [2.2] * 3))
    v = judge(stats, rf=7, budget="digits, 5 steps")
    assert v.not_learned == ("single", "stack3x3") and v.best is None and v.resolved is False
    assert v.comparisons == ()
    text = verdict_text(v)
    assert text.startswith("At a 7×7 field (digits, 5 steps): no winner at this budget. single and stack3x3 did "
                           "not learn: mean validation accuracy single 10.7%, stack3x3 13.7%, not clearly above the "
                           "10.0% of always guessing the majority class; a variant has learned when its mean beats "
                           "that by more than 5.0 points")
    assert "generalises" not in text and "Price" not in text


def test_one_variant_at_chance_stops_the_comparison_but_the_learners_are_named():
    stats = _stats(single=([0.12, 0.13, 0.11], [2.3] * 3), stack3x3=([0.97, 0.98, 0.99], [0.03] * 3))
    v = judge(stats, rf=7)
    assert v.not_learned == ("single",) and v.best is None and not v.resolved
    assert v.stats("stack3x3").learned and not v.stats("single").learned
    assert v.comparisons == ()  # the baseline did not learn: nothing is compared with it
    assert "single did not learn" in verdict_text(v) and "Learned: stack3x3" in verdict_text(v)


def test_the_margin_is_five_points_or_three_standard_errors():
    # just above and just below 10 % + 5 points on 360 images (3·sqrt(0.09/360) = 0.047 < 0.05)
    above = judge(_stats(single=([0.151] * 2, [1.0] * 2)), rf=7).stats("single")
    below = judge(_stats(single=([0.149] * 2, [1.0] * 2)), rf=7).stats("single")
    assert above.learned and not below.learned and above.chance_margin == pytest.approx(0.05)
    # a 50 % majority on 100 images: 3·sqrt(0.25/100) = 0.15, so 64 % is still chance and 66 % is not
    small = judge(_stats(rate=0.5, n_val=100, single=([0.64], [1.0]), stack3x3=([0.66], [1.0]))).stats
    assert small("single").chance_margin == pytest.approx(0.15)
    assert not small("single").learned and small("stack3x3").learned


def test_mean_and_sd_over_seeds_is_one_function():
    assert mean_sd([0.9, None, 0.8]) == (pytest.approx(0.85), pytest.approx(statistics.stdev([0.9, 0.8])))
    assert mean_sd([0.5]) == (0.5, 0.0) and mean_sd([None]) == (None, None)
    points = curve_mean_sd([[1.0, 2.0, 3.0], [3.0, 4.0]])  # epochs both reached
    assert points == [(1, 2.0, pytest.approx(math.sqrt(2))), (2, 3.0, pytest.approx(math.sqrt(2)))]
    assert curve_mean_sd([[None, 1.0], [None, 3.0]]) == [(2, 2.0, pytest.approx(math.sqrt(2)))]


def test_more_weights_than_the_baseline_is_a_cost():
    """The single 7×7 (49 units of weights) against a 3×3 stack baseline (27): 49/27 = 1.81×, 81% more."""
    stats = _stats(stack3x3=([0.84, 0.85, 0.86], [0.40, 0.41, 0.42]), single=([0.97, 0.98, 0.99], [0.03, 0.02, 0.04]))
    text = verdict(stats, baseline="stack3x3", rf=7)["text"]
    assert "Cost: single has 1.81× the weights (81% more) and 1.81× the MACs of the stack3x3." in text
    assert "Saving" not in text
