"""The Kernel study tab runs the experiment headless (streamlit.testing) and shows its numbers and verdict."""

from pathlib import Path

from streamlit.testing.v1 import AppTest


def test_the_kernel_study_tab_trains_every_variant_and_shows_a_verdict(one_thread):
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="page").set_value("Compare").run()
    assert not at.exception
    for key, value in (("kx_epochs", 2), ("kx_seeds", 2), ("kx_channels", 4)):
        at.number_input(key=key).set_value(value)
    at.button(key="kx_run").click().run()
    assert not at.exception and not [e.value for e in at.error]
    verdicts = [m.value for m in [*at.success, *at.warning] if m.value.startswith("At a 7×7 field")]
    assert len(verdicts) == 1 and "2 seeds" in verdicts[0]
    result = at.session_state["kx_result"]
    assert [v.kind for v in result.variants] == ["single", "stack3x3", "factorized", "dilated"]
    assert all(len(r.runs) == 2 and len(r.runs[0].val_acc) == 2 for r in result.results.values())
    table = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[0].value
    assert "final val acc" in list(table.columns)
    # a bad setting is one error line on the page, not an exception
    at.number_input(key="kx_size").set_value(5).run()
    at.button(key="kx_run").click().run()
    assert not at.exception and any("smaller than the 7×7 field" in e.value for e in at.error)
