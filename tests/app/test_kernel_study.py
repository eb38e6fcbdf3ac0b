"""The Kernel study tab: one set of field / channels / input-size controls for the table and the experiment,
a time estimate before the run, then the experiment run headless (streamlit.testing) with its numbers and
verdict."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest


def _compare_page():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="page").set_value("Compare").run()
    assert not at.exception
    return at


def test_the_kernel_study_tab_trains_every_variant_and_shows_a_verdict(one_thread):
    at = _compare_page()
    # one Channels and one Input size on the tab: the experiment has none of its own
    labels = [w.label for w in at.number_input]
    assert labels.count("Channels (C)") == 1 and labels.count("Input size (pixels)") == 1
    assert not [w for w in at.slider if w.label in ("Channels", "Input size")]
    at.number_input(key="k_channels").set_value(4)
    for key, value in (("kx_epochs", 2), ("kx_seeds", 2)):
        at.number_input(key=key).set_value(value)
    at.run()
    # the estimate before the button: 4 variants × 2 seeds × 2 epochs of the loop's steps per epoch
    estimate = next(m.value for m in at.info if m.value.startswith("Estimated time: about"))
    steps = int(re.search(r"for ([\d,]+) training steps", estimate).group(1).replace(",", ""))
    assert steps % (4 * 2 * 2) == 0 and "an estimate" in estimate
    at.button(key="kx_run").click().run()
    assert not at.exception and not [e.value for e in at.error]
    verdicts = [m.value for m in [*at.success, *at.warning] if m.value.startswith("At a 7×7 field")]
    assert len(verdicts) == 1 and "2 seeds" in verdicts[0]
    result = at.session_state["kx_result"]
    assert result.settings.channels == 4 and result.settings.input_size == 8  # the shared controls' values
    assert [v.kind for v in result.variants] == ["single", "stack3x3", "factorized", "dilated"]
    assert all(len(r.runs) == 2 and len(r.runs[0].val_acc) == 2 for r in result.results.values())
    # the estimate counted the steps the runs took
    assert steps == sum(len(run.history.steps) for r in result.results.values() for run in r.runs)
    table = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[0].value
    assert "final val acc" in list(table.columns)


def test_a_larger_field_raises_the_input_size_to_hold_it_and_the_table_follows(one_thread):
    at = _compare_page()
    at.select_slider(key="k_rf").set_value(11).run()
    assert not at.exception and not at.error
    assert at.number_input(key="k_size").value == 11  # 8 cannot hold an 11×11 field
    assert at.session_state["k_size"] == 11


def test_the_duration_words():
    from cnnscope.app.pages.compare import duration

    assert [duration(s) for s in (0.2, 40, 76, 119, 600, 754)] == ["1 s", "40 s", "1 min 20 s", "2 min", "10 min",
                                                                  "13 min"]


def test_one_epoch_one_seed_reads_right_and_the_curves_show_their_points(one_thread):
    import json

    at = _compare_page()
    at.number_input(key="k_channels").set_value(4)
    for key in ("kx_epochs", "kx_seeds"):
        at.number_input(key=key).set_value(1)
    at.run()
    assert at.button(key="kx_run").label == "Train 4 variants × 1 seed"
    estimate = next(m.value for m in at.info if m.value.startswith("Estimated time: about"))
    assert "(4 variants × 1 seed × 1 epoch)" in estimate
    at.button(key="kx_run").click().run()
    assert not at.exception and not [e.value for e in at.error]
    settings = next(m.value for m in at.markdown if "variants ×" in m.value)
    assert "4 variants × 1 seed (seed 0) on digits at 8×8, C=4, 1 epoch, batch 32" in settings
    verdict = next(m.value for m in [*at.success, *at.warning] if m.value.startswith("At a 7×7 field"))
    assert "(digits at 8×8, C=4, 1 epoch, lr 0.003, 1 seed)" in verdict
    assert "1 seeds" not in verdict and "1 epochs" not in verdict and "--" not in verdict  # no CLI option here
    if "did not learn" in verdict and "Learned:" in verdict:
        assert "raise the Epochs box of the experiment above" in verdict
    # the accuracy and loss curves: one point per variant, drawn as a marker (a lone line point is invisible)
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    curves = [s for s in specs if s["layout"].get("title", {}).get("text", "").endswith("(mean ± sd over seeds)")
              and s["layout"].get("xaxis", {}).get("title", {}).get("text") == "epoch"]
    assert len(curves) == 3  # validation accuracy, training loss, validation loss
    for spec in curves:
        lines = [t for t in spec["data"] if t.get("name") in ("single", "stack3x3", "factorized", "dilated")]
        assert len(lines) == 4 and all(t["mode"] == "lines+markers" and t["x"] == [1] for t in lines)


def test_the_tables_have_a_compact_copy_of_their_key_columns_for_a_phone():
    from cnnscope.app.pages.compare import RESULT_PRIORITY, VARIANT_PRIORITY
    from cnnscope.export.kernels import KERNEL_COLUMNS, TRAINING_COLUMNS

    at = _compare_page()
    compact = [h.proto.body for h in at.get("html") if "cs-compact" in h.proto.body and "<table" in h.proto.body]
    assert len(compact) == 1
    heads = [f">{c}</th>" for c in VARIANT_PRIORITY]
    assert all(h in compact[0] for h in heads) and ">nonlinearities</th>" not in compact[0]
    assert "50,176" in compact[0]  # the single 7×7's weights at C=32: 7·7·32·32 + 32 biases
    assert set(VARIANT_PRIORITY) <= set(KERNEL_COLUMNS) and set(RESULT_PRIORITY) <= set(TRAINING_COLUMNS)
