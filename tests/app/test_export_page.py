"""The Export page writes its four downloads one by one under a progress line that names each, and
makes each once per model and input."""

from pathlib import Path

from streamlit.testing.v1 import AppTest


def test_the_export_page_names_each_download_while_writing_it_and_reuses_them(monkeypatch):
    import streamlit as st

    from cnnscope.app import model_choice
    from cnnscope.app.pages import export
    from cnnscope.export import model_document

    export._file.clear()
    shown, written = [], []
    monkeypatch.setattr(st, "empty", lambda: _Recorder(shown))
    render = model_document.render
    monkeypatch.setattr(model_document, "render", lambda report, fmt: written.append(fmt) or render(report, fmt))
    choice = model_choice.Choice("zoo", "lenet5", (1, 1, 28, 28))
    html, markdown_zip, as_json, as_csv = export._files(choice, progress=True)
    assert written == ["html", "zip", "json", "csv"]
    layers = len(model_choice.report(choice).leaves())
    assert [round(value, 2) for value, _ in shown[:-1]] == [0.0, 0.25, 0.5, 0.75]
    assert shown[0][1].startswith(f"Writing the HTML report (its charts and diagram) for {layers} layers (1 of 4, ")
    assert shown[-1] == "emptied"
    assert "Model report: lenet5" in html and '"model": "lenet5"' in as_json
    export._files(choice, progress=True)
    assert written == ["html", "zip", "json", "csv"]  # made once: the second visit reuses them


class _Recorder:
    def __init__(self, shown):
        self.shown = shown

    def progress(self, value, text=""):
        self.shown.append((value, text))

    def empty(self):
        self.shown.append("emptied")


def test_the_export_page_has_its_four_buttons_and_no_progress_left():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    at.run()
    at.sidebar.radio(key="page").set_value("Export").run()
    assert not at.exception and not at.error
    assert not at.get("progress")
    assert [b.proto.label for b in at.get("download_button")][:4] == ["HTML report", "Markdown (.zip)", "JSON", "CSV"]
