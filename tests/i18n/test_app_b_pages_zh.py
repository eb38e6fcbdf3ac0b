"""The Train, Filters & feature maps, Explain a unit and Conv arithmetic pages at ``?lang=zh`` (headless,
streamlit.testing): every label, caption, message, table header and chart text a visitor reads is Chinese,
and the numbers are the English page's.  English prose left in a page is found by ``english_left``: a run of
three or more English words outside code, identifiers and units."""

import json
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("babel")

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# Words that may stand in a Chinese page as they are: identifiers, units, model and data set names, math.
KEPT = {"conv", "relu", "tanh", "linear", "softmax", "logit", "logits", "macs", "flops", "float64", "float32",
        "torch", "cnnscope", "explain", "digits", "lenet5", "adam", "adamw", "sgd", "cpu", "cuda", "gif", "png",
        "acc", "max", "mean", "sum", "exp", "timm", "scikit", "learn", "dumoulin", "visin", "random", "seed",
        "sample", "sklearn", "china", "jpg", "guide", "convolution", "arithmetic", "for", "deep", "learning", "the",
        "output_padding", "plotly", "text"}
_CODE = re.compile(r"`[^`]*`|\$[^$]*\$|%\{[^}]*\}|<[^>]+>|https?://\S+")
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \-][A-Za-z][A-Za-z'’]*){2,}")


def english_left(text: str) -> list[str]:
    """Runs of three or more English words (not identifiers) in ``text``."""
    found = []
    for run in _WORDS.findall(_CODE.sub(" ", text)):
        words = [w.lower().strip("'’") for w in re.split(r"[ \-]", run)]
        if sum(len(w) > 1 and w not in KEPT for w in words) >= 2:
            found.append(run)
    return found


def _strings(value, keys=("label", "body", "help", "options", "text", "caption", "value", "placeholder")):
    """Every string under the keys a visitor reads in a protobuf element (as a dict)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "spec" and isinstance(item, str):  # a plotly chart: titles, axes, trace names, hover
                yield from _figure_strings(json.loads(item))
            elif key in keys:
                yield from _flat(item)
            elif isinstance(item, (dict, list)):
                yield from _strings(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, keys)


def _flat(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _flat(item)


def _figure_strings(figure: dict):
    layout = figure.get("layout", {})
    for key, part in layout.items():
        if isinstance(part, dict) and "title" in part:
            title = part["title"]
            yield title.get("text", "") if isinstance(title, dict) else str(title)
    for annotation in layout.get("annotations", []):
        yield annotation.get("text", "")
    for trace in figure.get("data", []):
        yield str(trace.get("name", ""))
        yield str(trace.get("hovertemplate", ""))


def visible_text(at) -> list[str]:
    """What the page shows: every element's readable strings and every data frame's column names."""
    from google.protobuf.json_format import MessageToDict

    texts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and node.type != "image":
            texts.extend(s for s in _strings(MessageToDict(proto)) if isinstance(s, str))
        if node.type in ("arrow_data_frame", "dataframe"):
            texts.extend(map(str, node.value.columns))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(getattr(at, "_tree", at))
    return texts


def _untranslated(at) -> list[str]:
    """English runs in the page's main area (the sidebar and its pickers belong to the app's frame)."""
    return sorted({run for text in visible_text(at.main) for run in english_left(text)})


@pytest.fixture(autouse=True)
def chinese_here():
    """The test's own thread in Chinese too: AppTest formats a widget's value with the app's format_func
    (a translated title or option) in the calling thread."""
    from cnnscope.i18n import use_language

    with use_language("zh"):
        yield


def _fresh_zh():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "zh"
    at.session_state["lang"] = "zh"  # the switch's key (main.session_language), whichever comes first
    at.run()
    assert not at.exception, at.exception
    return at


def _page(at, title: str):
    at.sidebar.radio(key="page").set_value(title).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _text(at) -> str:
    return "\n".join(visible_text(at))


def test_the_detector_finds_english_prose_and_lets_identifiers_be():
    assert english_left("Explain a unit of the model") == ["Explain a unit of the model"]
    assert english_left("解释 LeNet5 的一个单元：`cnnscope explain --unit 0,1,2`") == []
    assert english_left("层 features.0 · 64 个滤波器 3×3×3 · 权重：Random (seed 0)") == []


def test_the_explain_page_in_chinese():
    at = _page(_fresh_zh(), "Explain a unit")
    text = _text(at)
    for chinese in ("解释", "数值（模型）", "总和（解释）", "偏置", "图例：", "感受野", "后续各行如何处理它", "向前追踪 →"):
        assert chinese in text, chinese
    # the legend says every letter's meaning in Chinese
    assert "y：该单元的输出" in text and "s：步幅" in text and "d：膨胀率" in text
    # the products' table and the conv formula
    columns = list(at.dataframe[0].value.columns)
    assert columns[:3] == ["输入通道", "抽头", "位置"] and "乘积 x·w" in columns
    assert "个输入通道" in text or "个乘积" in text
    assert _untranslated(at) == []
    # the numbers are the English page's
    metrics = {m.label: m.value for m in at.metric}
    from streamlit.testing.v1 import AppTest

    from cnnscope.i18n import use_language

    with use_language("en"):
        english = AppTest.from_file(APP, default_timeout=180)
        english.run()
        english.sidebar.radio(key="page").set_value("Explain a unit").run()
        assert [m.value for m in english.metric] == list(metrics.values())
        assert [m.label for m in english.metric] == ["Value (the model)", "Sum (explained)", "Bias", "Terms"]


def test_the_explain_page_at_the_logits_and_a_pool_in_chinese():
    at = _page(_fresh_zh(), "Explain a unit")
    at.selectbox(key="explain_layer").set_value("11").run()
    assert not at.exception and not at.error
    assert list(at.dataframe[-1].value.columns)[:4] == ["类别", "名称", "logit z", "概率"]
    assert _untranslated(at) == []
    at.selectbox(key="explain_layer").set_value("2").run()  # LeNet-5's average pool
    assert not at.exception and not at.error
    text = _text(at)
    assert "窗口" in text and "平均池化" in text
    assert _untranslated(at) == []


def test_the_conv_arithmetic_page_in_chinese():
    at = _page(_fresh_zh(), "Conv arithmetic")
    text = _text(at)
    assert "卷积算术" in text and "经典案例" in text and "步幅 s" in text
    assert "（自定义设置）" in text  # the classic case's first option, shown translated
    at.selectbox(key="arith_case").set_value("full padding").run()  # the option's value stays English
    assert not at.exception and not at.error
    assert at.number_input(key="arith_padding").value == 2
    text = _text(at)
    assert "全填充" in text and "下载 GIF" in text and "每一帧的文字描述" in text
    assert "输出 (0,0) ← 输入" in at.code[-1].value
    assert _untranslated(at) == []


def test_the_filters_and_feature_maps_page_in_chinese():
    at = _page(_fresh_zh(), "Filters & feature maps")
    text = _text(at)
    assert "滤波器" in text and "特征图" in text and "卷积层" in text and "统一色标" in text
    assert "**预测**（前 5 名）" in text and "随机权重" in text
    assert _untranslated(at) == []


def test_the_train_page_and_its_curves_in_chinese():
    from cnnscope.app import training

    at = _page(_fresh_zh(), "Train")
    text = _text(at)
    for chinese in ("训练 ", "数据集", "轮次", "学习率", "优化器", "批量大小", "设备"):
        assert chinese in text, chinese
    assert _untranslated(at) == []
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_start").click().run()
    job = at.session_state[training.JOB_KEY]
    deadline = time.monotonic() + 120
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.done and job.status == "completed", (job.status, job.message)
    at.run()
    assert not at.exception and not at.error
    text = _text(at)
    for chinese in ("验证准确率", "验证损失", "最佳轮次", "本会话的运行", "交叉熵损失", "平滑损失", "轮次"):
        assert chinese in text, chinese
    assert list(at.dataframe[0].value.columns) == ["运行", "轮次", "验证准确率", "最佳轮次", "状态"]
    assert list(at.dataframe[0].value["状态"]) == ["已完成"]
    assert _untranslated(at) == []
