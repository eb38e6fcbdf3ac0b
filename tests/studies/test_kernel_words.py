"""The kernel study's words and curves: singular and plural counts ("1 seed", "1 epoch"), the seeds named
in the settings line, the hint to train longer in the caller's own words (the CLI's --epochs, the app's
Epochs box), and curves that show their points after a single epoch."""

from types import SimpleNamespace

from cnnscope.export.kernels import plural, settings_line, verdict_text
from cnnscope.studies.kernels import experiment as ke
from cnnscope.studies.kernels.verdict import judge


def _stats(**accs):
    params = {"single": 49, "stack3x3": 27}
    return {kind: {"val_acc": acc, "train_loss": loss, "converged": [True] * len(acc), "params": params[kind] * 1024,
                   "macs": params[kind] * 65536, "majority_rate": 0.1, "n_val": 360}
            for kind, (acc, loss) in accs.items()}


def test_plural():
    assert [plural(n, "seed") for n in (0, 1, 2, 30)] == ["0 seeds", "1 seed", "2 seeds", "30 seeds"]


def test_how_long_a_run_trains_is_singular_for_one_epoch():
    assert ke.Settings(epochs=1).length == "1 epoch"
    assert ke.Settings(epochs=30).length == "30 epochs"
    assert ke.Settings(epochs=1, max_steps=5).length == "1 epoch, at most 5 steps"


def _experiment(seeds, epochs=1):
    settings = ke.Settings(epochs=epochs, seeds=seeds)
    return SimpleNamespace(settings=settings, variants=[object()] * 4, device="cpu", seconds=12.4)


def test_the_settings_line_says_which_seeds():
    one = settings_line(_experiment((0,)))
    assert one.startswith("4 variants × 1 seed (seed 0) on digits at 8×8, C=32, 1 epoch, batch 32")
    assert "seeds" not in one and "epochs" not in one and "(0)" not in one
    three = settings_line(_experiment((0, 1, 2), epochs=30))
    assert three.startswith("4 variants × 3 seeds (seeds 0, 1, 2) on digits") and ", 30 epochs," in three


def test_the_hint_to_train_longer_names_the_callers_control():
    # single at chance (12% against a 10% majority, margin 5 points), stack3x3 learned: no comparison
    v = judge(_stats(single=([0.12, 0.13, 0.11], [2.3] * 3), stack3x3=([0.97, 0.98, 0.99], [0.03] * 3)), rf=7)
    assert v.not_learned == ("single",)
    cli = verdict_text(v)
    assert "so train longer (--epochs) to compare them." in cli
    from cnnscope.app.pages.compare import APP_LONGER

    app = verdict_text(v, APP_LONGER)
    assert "--" not in app
    assert "so train longer (raise the Epochs box of the experiment above) to compare them." in app
    assert app.replace(APP_LONGER, "train longer (--epochs)") == cli  # the rest of the words are the same


def test_one_seed_not_converged_is_singular():
    stats = _stats(single=([0.9], [0.5]), stack3x3=([0.97], [0.1]))
    stats["single"]["converged"] = [False]
    text = verdict_text(judge(stats, rf=7, budget="digits at 8×8, C=32, 1 epoch, lr 0.003, 1 seed"))
    assert "single (1 of 1 seed)" in text and "seeds" not in text and "epochs" not in text.replace("more epochs", "")


def test_one_epoch_curves_draw_their_points():
    from cnnscope.vis.kernel_charts import curves_with_band

    figure = curves_with_band({"single": [[0.4]], "stack3x3": [[0.5], [0.7]]}, "t", "acc", percent=True)
    lines = [t for t in figure.data if t.name in ("single", "stack3x3")]
    assert [t.mode for t in lines] == ["lines+markers"] * 2
    assert [list(t.x) for t in lines] == [[1], [1]]
    assert list(lines[0].y) == [40.0] and abs(lines[1].y[0] - 60.0) < 1e-9  # mean of 50% and 70%
