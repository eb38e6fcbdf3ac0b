"""The Compare page's Diff tab (AppTest): the added blocks of resnet34 over resnet18 and the totals' change,
identical architectures in one line, the sidebar's model as a side, and the downloads."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _compare_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.radio(key="page").set_value("Compare").run()
    assert not at.exception
    return at


def test_the_diff_tab_lists_the_added_blocks_then_says_identical():
    at = _compare_page()
    assert [t.label for t in at.tabs][:3] == ["Architectures", "Diff", "Kernel study"]
    assert (at.selectbox(key="diff_a").value, at.selectbox(key="diff_b").value) == ("resnet18", "resnet34")
    body = next(c.value for c in at.code if c.value.startswith("--- resnet18"))
    added = [line.split()[1] for line in body.splitlines() if line.startswith("+ ")]
    assert added == ["layer1.2", "layer2.2", "layer2.3", "layer3.2", "layer3.3", "layer3.4", "layer3.5", "layer4.2"]
    totals = next(d.value for d in at.dataframe if "total" in d.value.columns)
    params = totals[totals["total"] == "params"].iloc[0]
    # torchvision's resnet34 has 21,797,672 parameters, resnet18 11,689,512
    assert (params["resnet18"], params["resnet34"], params["change"]) == ("11,689,512", "21,797,672",
                                                                          "+10,108,160 (+86.5%)")
    assert {b.proto.label for b in at.get("download_button")} >= {"Download .html", "Download .md", "Download .json"}

    at.selectbox(key="diff_b").set_value("resnet18").run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "identical architectures: resnet18 and resnet18 (69 rows, 11,689,512 params, 1.81 G MACs at 1×3×224×224)"]


def test_the_sidebars_model_can_be_a_side():
    at = _compare_page()
    at.selectbox(key="diff_a").set_value("the sidebar's model").run()  # LeNet-5 by default
    at.selectbox(key="diff_b").set_value("lenet5").run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "identical architectures: lenet5 and lenet5 (12 rows, 61,706 params, 416.52 k MACs at 1×1×28×28)"]
