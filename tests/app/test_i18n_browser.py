"""The Chinese app in a real browser: a Streamlit server on a loopback port, Debian's headless Chromium.

Opens ``?lang=zh``: the sidebar and the Summary page are in Chinese, ``<html lang>`` says so, switching to
another page keeps ``lang`` in the URL, and switching to English takes it out (the server's own language).
Screenshots of the Summary and the Receptive field pages go to docs/gallery/ (app-zh-summary.png,
app-zh-rf.png): they are looked at by eye for empty boxes (a missing CJK font) and text overflowing its box.

A visitor's browser brings its own CJK font; this machine's Chromium has none, so the test gives it the
Noto Sans CJK that the ``zh`` extra installs (mplfonts) through a fontconfig file of its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .test_browser import CNNSCOPE_APP, _idle, _open_sidebar, _start, _stop, _wait_for_text

selenium = pytest.importorskip("selenium")
mplfonts = pytest.importorskip("mplfonts")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "docs" / "gallery"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                       reason="Debian's chromium and chromium-driver are not installed"),
]


@pytest.fixture(scope="module")
def cjk_browser(tmp_path_factory):
    """Headless Chromium (1400×1000) whose fontconfig also reads the zh extra's CJK fonts."""
    folder = tmp_path_factory.mktemp("fontconfig")
    fonts = Path(mplfonts.__file__).parent / "fonts"
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER,
                                      env=dict(os.environ, FONTCONFIG_FILE=str(folder / "fonts.conf")))
    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def zh_server():
    """``cnnscope app`` with an English server language: Chinese comes from the link only."""
    saved = {k: os.environ.pop(k, None) for k in ("CNNSCOPE_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    try:
        process, url, _ready = _start(CNNSCOPE_APP)
    finally:
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    yield url
    _stop(process)


def _sidebar_text(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, 'section[data-testid="stSidebar"]').text


def _query(driver) -> str:
    return driver.execute_script("return window.location.search")


def _click_sidebar_option(driver, label: str) -> None:
    xpath = f'//section[@data-testid="stSidebar"]//label[.//p[text()="{label}"]]'
    WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: d.find_elements(By.XPATH, xpath))
    driver.find_element(By.XPATH, xpath).click()


def test_the_app_in_chinese_in_a_real_browser(zh_server, cjk_browser):
    driver = cjk_browser
    GALLERY.mkdir(parents=True, exist_ok=True)
    driver.get(f"{zh_server}/?lang=zh")
    _wait_for_text(driver, "61,706")
    _wait_for_text(driver, "各层 MACs")  # the Summary's tabs
    _idle(driver)
    _open_sidebar(driver)
    sidebar = _sidebar_text(driver)
    for label in ("概要", "感受野", "模型来源", "模型库", "输入 N,C,H,W"):
        assert label in sidebar, (label, sidebar)
    body = driver.find_element(By.TAG_NAME, "body").text
    for label in ("参数量", "激活值", "训练精度", "各层参数量", "lenet5 — 输入"):
        assert label in body, label
    assert "Parameters" not in body and "Training precision" not in body
    assert driver.execute_script("return document.documentElement.lang") == "zh-Hans"
    assert "lang=zh" in _query(driver)
    time.sleep(1.5)  # the table and charts draw
    driver.save_screenshot(str(GALLERY / "app-zh-summary.png"))

    _click_sidebar_option(driver, "感受野")  # another page: the language stays, and so does the link's
    _wait_for_text(driver, "lenet5 的感受野")
    _wait_for_text(driver, "图像上的一个单元")
    _idle(driver)
    assert "lang=zh" in _query(driver)
    time.sleep(2)  # the unit's picture
    driver.save_screenshot(str(GALLERY / "app-zh-rf.png"))

    _click_sidebar_option(driver, "English")  # the page stays; English is this server's own: no lang in the link
    _wait_for_text(driver, "Receptive fields of lenet5")
    _idle(driver)
    assert "lang=" not in _query(driver)
    assert "Receptive field" in _sidebar_text(driver)
    assert driver.execute_script("return document.documentElement.lang") == "en"
