"""The Conv arithmetic player in a real browser: `cnnscope app` on a loopback port, Debian's headless Chromium
opens the page from the sidebar, switches into the player's iframe, presses Play and watches the frame
counter advance, then steps one frame with Next and Previous."""

from __future__ import annotations

import re

import pytest

from tests.app.test_browser import CNNSCOPE_APP, _idle, _open_sidebar, _page_label, _start, _stop, _wait_for_text

from selenium.webdriver.common.by import By  # noqa: E402  (test_browser skips the module without selenium)
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_server():
    process, url, ready = _start(CNNSCOPE_APP)
    yield url
    _stop(process)


def _frame(driver) -> tuple[int, int]:
    text = driver.find_element(By.ID, "frame-counter").text
    match = re.fullmatch(r"frame (\d+) / (\d+)", text)
    assert match, text
    return int(match[1]), int(match[2])


def test_the_player_plays_and_steps(app_server, browser):
    browser.get(app_server)
    _wait_for_text(browser, "61,706")
    _idle(browser)
    _open_sidebar(browser)
    _page_label(browser, "Conv arithmetic").click()
    _wait_for_text(browser, "Worked out:")
    _idle(browser)
    assert "⌊(5 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 5" in browser.find_element(By.TAG_NAME, "body").text
    player = WebDriverWait(browser, 30).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, 'iframe[title="convolution arithmetic player"]')), None))
    browser.switch_to.frame(player)
    try:
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "frame-counter"))
        assert _frame(browser) == (1, 25)
        assert browser.find_element(By.ID, "frame-caption").text == \
            "out (0,0) ← in (0,0) (0,1) (1,0) (1,1) + 5 padding cells"
        browser.find_element(By.ID, "play").click()
        WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: _frame(d)[0] >= 3)  # 0.7 s a frame
        assert browser.find_element(By.ID, "play").text == "Pause"
        browser.find_element(By.ID, "next").click()  # stepping pauses the animation
        shown, total = _frame(browser)
        assert total == 25 and browser.find_element(By.ID, "play").text == "Play"
        browser.find_element(By.ID, "next").click()
        assert _frame(browser) == (shown % 25 + 1, 25)
        browser.find_element(By.ID, "prev").click()
        browser.find_element(By.ID, "prev").click()
        assert _frame(browser) == ((shown - 2) % 25 + 1, 25)
        caption = browser.find_element(By.ID, "frame-caption").text
        assert caption.startswith("out (") and " ← in " in caption
    finally:
        browser.switch_to.default_content()
