"""The untranslated-label test: every registered page at ``?lang=zh`` (headless, streamlit.testing) shows no
English prose.

Every visible text is collected from the element tree: markdown, headers, captions, alerts, widget labels,
help texts and option labels, metric labels, tab and expander labels, button labels, image captions,
dataframe column names and their header help, the text of ``st.html`` tables, and the titles, axis titles,
legend and trace names and annotations of plotly figures (from the chart's JSON).  Code blocks, the text
typed into boxes and the cells of tables are data, not labels, and are left out.

The detector (``english``) removes what stays English in a Chinese page on purpose (code spans, URLs, file
names, identifiers with digits, underscores, dots or inner capitals, the model's own layer names and types,
zoo model names, units and a short list of technical terms such as MACs, FLOPs, ReLU, PyTorch, timm), then
fails a text that still has two English words in a row, or one word of a stop-list (the, of, and, to ...).
The same detector run on the English pages finds many texts (``test_the_detector_flags_the_english_pages``):
the test can fail.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

pytest.importorskip("babel")
from streamlit.testing.v1 import AppTest  # noqa: E402

from cnnscope.app.pages import TITLES  # noqa: E402

APP = str(Path(__file__).resolve().parents[2] / "app.py")
MODEL = "lenet5"  # a typical model: convolutions, pools, a classifier; every page takes it

# Technical terms a Chinese CNN course writes in English (case as written; compared case-insensitively)
ALLOWED = {
    "macs", "flops", "relu", "pytorch", "timm", "torchvision", "onnx", "yaml", "json", "csv", "html", "markdown",
    "adam", "sgd", "cuda", "cudnn", "softmax", "graphviz", "autocast", "bfloat", "fp", "bf", "gib", "mib", "mb",
    "gb", "kb", "ms", "px", "rgb", "png", "jpeg", "jpg", "svg", "gif", "zip", "pt", "pth", "cpu", "gpu", "api",
    "cnnscope", "hugging", "face", "imagenet", "mnist", "cifar", "scikit", "learn", "lenet", "vgg", "resnet",
    "alexnet", "tanh", "sigmoid", "dropout", "batchnorm", "conv", "maxpool", "avgpool", "flatten", "linear",
    "erf", "rf", "id", "url", "safetensors", "state_dict", "weights_only", "final", "best", "val", "acc", "lr",
    "top", "grad", "cam", "fps", "tflops", "gflops", "mflops", "k", "m", "g", "t", "s", "min", "x", "y", "h", "w",
    "n", "c", "p", "k",
}
# One of these alone, in any text, is English prose
STOP_WORDS = {
    "the", "of", "and", "to", "is", "a", "an", "per", "with", "in", "on", "for", "from", "by", "at", "as", "or",
    "its", "it", "this", "that", "these", "those", "be", "are", "was", "were", "not", "no", "all", "each", "every",
    "one", "two", "into", "than", "then", "when", "where", "which", "what", "how", "why", "you", "your", "here",
    "there", "only", "also", "but", "if", "so", "see", "show", "shows", "pick", "choose", "click", "open", "tick",
    "more", "less", "up", "down", "none", "yet", "before", "after", "about", "layer", "layers", "model", "models",
    "input", "output", "size", "shape", "weights", "page", "table", "image", "file", "unit", "field", "total",
}
_CODE_FENCE = re.compile(r"```.*?```", re.S)
_CODE_SPAN = re.compile(r"`[^`]*`")
_URL = re.compile(r"\w+://\S+")
_BOOK_TITLE = re.compile(r"《[^》]*》")  # a cited title keeps its own language
_FLOW = re.compile(r"\{[^{}]*\}")  # a spec's settings in YAML's flow style: {out: 6, kernel: 5}
_TAG = re.compile(r"<(style|script)\b.*?</\1>|<[^>]+>", re.S)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:/%'+-]*")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def _identifier(token: str) -> bool:
    """A name, not a word: digits, underscores, dots, colons, slashes, inner capitals (Conv2d, BatchNorm,
    timm:vit, arch.html, resnet18) or an acronym (NCHW, MB)."""
    core = token.strip(".:'%+-/")
    if not core or any(ch.isdigit() or ch in "_.:/%+" for ch in core):
        return True
    if "-" in core:  # LeNet-5 is caught above; max-pool, fine-tune are words
        return all(_identifier(part) for part in core.split("-") if part)
    if core.isupper():
        return True
    return any(ch.isupper() for ch in core[1:])  # ReLU, PyTorch, MACs


def english(text: str, names: frozenset = frozenset()) -> str | None:
    """The first run of English prose in ``text`` (what makes it fail), or None.  ``names``: words that are
    this page's identifiers (layer names and types, zoo names), lower case."""
    text = _TAG.sub(" ", text)
    text = _CODE_FENCE.sub(" ", text)
    text = _CODE_SPAN.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _BOOK_TITLE.sub(" ", text)
    text = _FLOW.sub(" ", text)
    run: list[str] = []
    found = []
    # walk the tokens in order; anything that is not an English word (CJK, digits, identifiers, punctuation
    # other than a space or a comma between two words) ends the run
    position = 0
    for match in _TOKEN.finditer(text):
        gap = text[position:match.start()]
        position = match.end()
        if run and gap.strip(" ,;'\"()") != "":  # something else between: the run ends
            found.append(run)
            run = []
        token = match.group()
        word = token.rstrip(".,:;'")
        if _identifier(word) or not _WORD.fullmatch(word):
            if run:
                found.append(run)
            run = []
            continue
        lower = word.lower()
        # a name, an allowed term, or a symbol of one or two letters (k, ky, kx, fc) unless a stop word (of, to)
        if lower in names or (lower in ALLOWED or len(lower) <= 2) and lower not in STOP_WORDS:
            if run:
                found.append(run)
            run = []
            continue
        if lower in STOP_WORDS:
            return word
        run.append(word)
    found.append(run)
    for words in found:
        if len(words) >= 2:
            return " ".join(words)
    return None


# -- what a page shows ---------------------------------------------------------------------------------

def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _figure_texts(spec: str):
    """Titles, axis titles, legend title, trace names and annotations of a plotly figure's JSON."""
    figure = json.loads(spec)
    layout = figure.get("layout", {})

    def title(value):
        if isinstance(value, dict):
            value = value.get("text")
        return [value] if isinstance(value, str) else []

    texts = title(layout.get("title"))
    for key, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*|coloraxis|scene", key) and isinstance(axis, dict):
            texts += title(axis.get("title"))
            texts += title((axis.get("colorbar") or {}).get("title"))
    texts += title((layout.get("legend") or {}).get("title"))
    texts += [a.get("text") for a in layout.get("annotations", []) if isinstance(a.get("text"), str)]
    for trace in figure.get("data", []):
        if isinstance(trace.get("name"), str) and trace.get("showlegend", True) is not False:
            texts.append(trace["name"])
        texts += title((trace.get("colorbar") or {}).get("title"))
        texts += title(((trace.get("marker") or {}).get("colorbar") or {}).get("title"))
    return [t for t in texts if t]


def visible_texts(at) -> list[tuple[str, str]]:
    """(where, text) for every visible text of the page (see the module's docstring)."""
    found: list[tuple[str, str]] = []

    def add(where, *texts):
        found.extend((where, t) for t in texts if isinstance(t, str) and t.strip())

    def walk(node):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "tab":
            add("tab", proto.label)
        elif kind == "expandable":
            add("expander", proto.expandable.label)
        elif kind in ("markdown", "alert", "html", "caption", "header", "title", "subheader", "divider"):
            if kind == "alert":
                add("alert", proto.body)
            elif kind == "html":  # a compact table: its headers and their help count, its cells are data
                body = re.sub(r"<td\b.*?</td>", " ", proto.body, flags=re.S)
                add("html", body, *re.findall(r'title="([^"]*)"', body))
            else:
                add("markdown", getattr(proto, "body", ""))
        elif kind == "arrow_data_frame" or type(node).__name__ == "Dataframe":
            try:
                frame = node.value
                add("table column", *[str(c) for c in frame.columns])
                if len(frame.columns) and str(frame.columns[0]) == "":  # a transposed table: its rows are named
                    add("table row name", *[str(v) for v in frame.iloc[:, 0]])
            except Exception:  # noqa: BLE001 - a frame AppTest cannot read back: its config still counts
                pass
            columns = getattr(proto, "columns", "")
            if columns:
                for name, config in json.loads(columns).items():
                    add("table column help", config.get("help") or "", config.get("label") or "")
        elif kind == "plotly_chart":
            add("chart", *_figure_texts(proto.spec))
        elif kind == "imgs":
            add("image caption", *[img.caption for img in proto.imgs])
        elif kind == "metric":
            add("metric", proto.label, proto.help)
        elif kind == "progress":
            add("progress", proto.text)
        elif kind in ("code", "graphviz_chart", "iframe", "empty", "json", "exception"):
            pass  # code and data; the diagram's page is the export's
        elif proto is not None and hasattr(proto, "label"):  # widgets: buttons, boxes, sliders, uploaders
            add(f"widget {kind}", proto.label, getattr(proto, "help", ""), getattr(proto, "placeholder", ""))
            options = list(getattr(proto, "options", []) or [])
            if kind not in ("selectbox", "multiselect") or len(options) < 40:  # long lists are model names
                add(f"option of {proto.label!r}", *[getattr(o, "label", o) for o in options])
            if kind == "select_slider":
                pass
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


@lru_cache(maxsize=1)
def identifiers() -> frozenset:
    """Words that name things on these pages: the model's layer names, types and kinds, every zoo name, and
    the summary's column keys (``--columns`` values, shown beside their translated header)."""
    import cnnscope
    from cnnscope.export.summary_rows import COLUMNS
    from cnnscope.zoo import list_entries

    report = cnnscope.analyze(MODEL)
    words = set()
    for row in report.layers:
        for value in (row.name, row.type, row.op_kind, report.model):
            words.update(w.lower() for w in _WORD.findall(str(value or "")))
    for entry in list_entries():
        words.update(w.lower() for w in _WORD.findall(entry.name))
    return frozenset(words - STOP_WORDS) | frozenset(key.strip("%") for key in COLUMNS)


def _open(page: str, lang: str):
    """The page as a visitor opens it from a link: ``?lang=..&model=..``, the page picked in the sidebar."""
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["lang"] = lang
    at.query_params["model"] = MODEL
    at.run()
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, at.exception
    return at


def untranslated(at) -> list[str]:
    names = identifiers()
    return sorted({f"{where}: {text!r} (English: {hit!r})" for where, text in visible_texts(at)
                   for hit in [english(text, names)] if hit})


@pytest.mark.parametrize("page", TITLES)
def test_every_page_in_chinese_shows_no_english_label(page):
    at = _open(page, "zh")
    assert at.sidebar.radio(key="page").value == page
    texts = visible_texts(at)
    assert len(texts) >= 5, texts  # the collector reads the page (a blank page would pass)
    assert any(re.search(r"[\u4e00-\u9fff]", text) for _unused, text in texts)
    left = untranslated(at)
    assert not left, f"{page} at ?lang=zh still shows English:\n" + "\n".join(left)


def test_the_detector_flags_the_english_pages():
    """The same pages in English: the detector finds many texts on each one (so the Chinese test can fail)."""
    for page in ("Summary", "Receptive field", "Compare", "Export"):
        at = _open(page, "en")
        assert len(untranslated(at)) >= 8, (page, untranslated(at))


@pytest.mark.parametrize("text", [
    "Receptive fields of lenet5", "the sidebar's model", "Pick at least two models.", "Table depth",
    "层 of the model", "per layer", "概要 with 参数量", "random initialisation (seed 0)",
])
def test_the_detector_catches_english(text):
    assert english(text, identifiers())


@pytest.mark.parametrize("text", [
    "概要", "lenet5 — 输入 1×1×28×28", "乘加运算量 (MACs) 416.52 k", "Conv2d 的 ReLU", "`cnnscope graph MODEL -o arch.html`",
    "timm:vit_base_patch16_224", "fp16 混合精度（autocast）", "MB（2^20 字节）", "https://download.pytorch.org/x.pth",
    "name (层)", "features.0 (Conv2d): 1×1×28×28 → 1×6×28×28", "PyTorch 代码", "Hugging Face 缓存",
    "k (ky, kx)：抽头在卷积核中的位置", "Dumoulin 和 Visin《A guide to convolution arithmetic for deep learning》中的图",
])
def test_the_detector_passes_chinese_with_identifiers(text):
    assert english(text, identifiers()) is None


def test_switching_the_language_keeps_the_page_and_the_model():
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["model"] = "resnet18"
    at.run()
    at.sidebar.radio(key="page").set_value("Receptive field").run()
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.sidebar.radio(key="page").value == "Receptive field"
    assert at.sidebar.selectbox(key="zoo_model").value == "resnet18"
    assert at.query_params["lang"] in ("zh", ["zh"])
    assert at.header[0].value.startswith("resnet18 的感受野")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.header[0].value.startswith("Receptive fields of resnet18")
    assert "lang" not in at.query_params  # English is the server's own language here


def test_the_spec_builder_and_an_input_error_in_chinese():
    """The Spec source (the builder's section, its tabs, form and reference) and a capped input's message."""
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["lang"] = "zh"
    at.run()
    at.sidebar.radio(key="source").set_value("Spec").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["参数量"] == "57,226"  # the default spec, as in English
    assert "规格：搭建或编辑网络" in [e.label for e in at.expander]
    left = untranslated(at)
    assert not left, "\n".join(left)
    at.sidebar.text_input(key="spec_shape_(3, 32, 32)").set_value("1,3,5000,64").run()
    errors = [e.value for e in at.error]
    assert any("应用中输入限制为批量 1024" in e for e in errors), errors
    assert not untranslated(at)
