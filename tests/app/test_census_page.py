"""The Explorer page, headless (streamlit.testing): it opens the shipped torchvision census, its filters change
the rows shown, a census file can be uploaded (a bad one is one line), and opening a model shows its Summary."""

from __future__ import annotations

import pytest

from cnnscope.export import census_file
from cnnscope.studies.census import explore

from .shown import shown


@pytest.fixture
def explorer(app):
    app.sidebar.radio(key="page").set_value("Explorer").run()
    assert not app.exception and not app.error, [shown(e.value) for e in app.error]
    return app


def _table_names(at) -> list[str]:
    return list(at.dataframe[0].value["model"])


def test_the_page_opens_the_shipped_census(explorer):
    rows = census_file.read(explore.shipped_census())
    assert _table_names(explorer) == [r["name"] for r in rows]
    assert f"{len(rows)} of {len(rows)} models shown." in [c.value for c in explorer.caption]
    assert len(explorer.get("plotly_chart")) == 1


def test_filters_change_the_rows_shown(explorer):
    rows = census_file.read(explore.shipped_census())
    budget = 1_000_000_000
    explorer.select_slider(key="census_macs").set_value(budget).run()
    expected = [r["name"] for r in rows if r["macs"] is not None and r["macs"] <= budget]
    assert 0 < len(expected) < len(rows)
    assert _table_names(explorer) == expected
    explorer.number_input(key="census_acc").set_value(75.0).run()
    expected = [r["name"] for r in rows if r["macs"] is not None and r["macs"] <= budget
                and r["acc1"] is not None and r["acc1"] >= 75.0]
    assert _table_names(explorer) == expected
    explorer.select_slider(key="census_macs").set_value("any").run()
    explorer.number_input(key="census_acc").set_value(0.0).run()
    assert len(_table_names(explorer)) == len(rows)


def test_opening_a_model_shows_its_summary(explorer):
    explorer.selectbox(key="census_open_name").set_value("resnet18").run()
    explorer.button(key="census_open").click().run()
    assert not explorer.exception
    assert explorer.session_state["page"] == "Summary"
    assert explorer.sidebar.selectbox(key="zoo_model").value == "resnet18"
    assert {m.label: m.value for m in explorer.metric}["Parameters"] == "11,689,512"


def test_a_click_on_a_point_opens_that_model(monkeypatch):
    """The chart's selection callback, as Streamlit calls it with the click's event in the session state."""
    import streamlit as st

    from cnnscope.app.pages import census

    class State(dict):  # Streamlit's session state: keys and attributes alike
        __getattr__, __setattr__ = dict.__getitem__, dict.__setitem__

    state = State(census_chart={"selection": {"points": [{"customdata": ["vgg16"]}]}})
    monkeypatch.setattr(st, "session_state", state, raising=False)
    census._open_clicked()
    assert state["page"] == "Summary" and state["zoo_model"] == "vgg16" and state["source"] == "Zoo"
    state = State(census_chart={"selection": {"points": [{"customdata": ["no_such_net"]}]}})
    monkeypatch.setattr(st, "session_state", state, raising=False)
    census._open_clicked()
    assert "page" not in state and "no_such_net is not in this app's zoo" in state["census_problem"]


def test_an_uploaded_census_is_explored(explorer, tmp_path):
    from cnnscope.studies.census.columns import empty_row

    rows = []
    for name, params, macs in (("net_a", 1_000, 2_000), ("net_b", 50_000, 9_000_000)):
        row = empty_row(name)
        row.update(group="tutorial", family=name, input="3×32×32", params=params, macs=macs, status="ok")
        rows.append(row)
    census_file.write(tmp_path / "mine.csv", rows)
    explorer.file_uploader(key="census_upload").set_value(
        ("mine.csv", (tmp_path / "mine.csv").read_bytes(), "text/csv")).run()
    assert not explorer.exception and not explorer.error
    assert _table_names(explorer) == ["net_a", "net_b"]
    assert any("mine.csv: 2 models" in shown(c.value) for c in explorer.caption)


def test_a_bad_census_file_is_one_line(explorer):
    explorer.file_uploader(key="census_upload").set_value(
        ("other.json", b'{"format": "something-else", "rows": []}', "application/json")).run()
    assert not explorer.exception
    assert [shown(e.value) for e in explorer.error] == ["other.json is not a cnnscope census file (format 1)"]
