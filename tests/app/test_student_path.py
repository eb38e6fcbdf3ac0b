"""The student's path of issue 22 in a real browser, at 1400 px and at a phone's 400 px.

Build conv-pool-conv-pool-fc from an empty spec with the form, make the kernel mistake and read the
partial table and the fix, train LeNet-5 on the digits, reload the page and still find the run, then open
its filters and feature maps with the prediction's top 5.  At 1400 px it also takes the pictures of
docs/app.md that show these states (tests/app/screenshots/docs/, copied to docs/gallery/ after a look).
"""

import os
import re
import time

import pytest

from .test_browser import (CNNSCOPE_APP, DOC_SHOTS, SHOTS, _idle, _image_sources, _page_label, _problems, _start,
                           _stop, _wait_for_text)

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow

# conv 6@5×5 (6·1·5·5 + 6 = 156), conv 16@5×5 (16·6·5·5 + 16 = 2,416), linear 16·4·4 → 10 (256·10 + 10 = 2,570)
STUDENT_NET_PARAMS = f"{156 + 2416 + 2570:,}"


@pytest.fixture(scope="module")
def student_server(tmp_path_factory):
    """`cnnscope app` with the runs it keeps in a folder of its own (a reload must find them there)."""
    runs = tmp_path_factory.mktemp("app-runs")
    before = os.environ.get("CNNSCOPE_APP_RUNS")
    os.environ["CNNSCOPE_APP_RUNS"] = str(runs)
    try:
        process, url, _ = _start(CNNSCOPE_APP)
    finally:
        if before is None:
            del os.environ["CNNSCOPE_APP_RUNS"]
        else:
            os.environ["CNNSCOPE_APP_RUNS"] = before
    yield url, runs
    _stop(process)


def _new_visitor(driver, url: str) -> None:
    """Open ``url`` as a new Streamlit session: the browser forgets the tab's session (a reload may join the
    old one again), so only what the URL carries is known."""
    driver.get(url)
    driver.delete_all_cookies()
    driver.execute_script("window.sessionStorage.clear(); window.localStorage.clear();")
    driver.get(url)


def _viewport(driver, width: int) -> None:
    """An exact viewport (a headless Chromium window does not go below 500 px; the DevTools protocol does)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})


def _body(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _keyed(driver, key: str, inner: str):
    """The element ``inner`` of the widget whose Streamlit key is ``key`` (the class ``st-key-<key>``)."""
    element = WebDriverWait(driver, 60, poll_frequency=0.05).until(
        lambda d: next(iter(e for e in d.find_elements(By.CSS_SELECTOR, f".st-key-{key} {inner}") if e.is_displayed()),
                       None))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    time.sleep(0.2)
    return element


def _press(driver, key: str, until=None) -> None:
    """Click the button ``key``, then wait for ``until(driver)`` (or for the rerun the click starts)."""
    _keyed(driver, key, "button").click()
    time.sleep(0.5)  # the rerun's running indicator comes a moment after the click
    if until is not None:
        WebDriverWait(driver, 120, poll_frequency=0.1).until(until)
    _idle(driver)


def _spec(driver) -> str:
    return _keyed(driver, "spec_text", "textarea").get_attribute("value")


def _number(driver, key: str, value: int, then=Keys.ENTER) -> None:
    """Type ``value`` into a number box; Enter commits it (in a form Enter submits the form: leave with Tab)."""
    box = _keyed(driver, key, "input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), then)
    _idle(driver)
    assert _keyed(driver, key, "input").get_attribute("value") == str(value), key


def _select(driver, key: str, option: str) -> None:
    box = _keyed(driver, key, "input")
    box.click()
    box.send_keys(option)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'))
    box.send_keys(Keys.ENTER)
    _idle(driver)


def _sidebar(driver, open_: bool) -> None:
    """Open or close the sidebar as a person would (on a phone it covers the page)."""
    testid = "stExpandSidebarButton" if open_ else "stSidebarCollapseButton"
    for button in driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"], [data-testid="{testid}"] button'):
        if button.is_displayed():
            button.click()
            time.sleep(0.6)
            return


def _sidebar_choice(driver, label: str, narrow: bool) -> None:
    if narrow:
        _sidebar(driver, True)
    _page_label(driver, label).click()
    _idle(driver)
    if narrow:
        _sidebar(driver, False)


def _add(driver, kind: str, **fields) -> None:
    _select(driver, "form_kind", kind)
    for field, value in fields.items():
        _number(driver, f"form_{kind}_{field}", value)
    before = _spec(driver)
    _press(driver, "form_add", until=lambda d: _spec(d) != before)


def _fits(driver, width: int) -> None:
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways at {width} px: {scroll} px wide"


def _shot(driver, width: int, name: str, docs: bool = False) -> None:
    assert not _problems(driver) or name == "mistake", (name, _problems(driver))
    body = _body(driver)
    assert "Traceback" not in body and "internal error" not in body, name
    time.sleep(1.0)
    folder = SHOTS / "student"
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / f"{width}-{name}.png"))
    if docs and width == 1400:
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(DOC_SHOTS / f"app-{name}.png"))


@pytest.mark.parametrize("width", [1400, 400])
def test_the_student_path(student_server, browser, width):
    url, _ = student_server
    narrow = width < 500
    if narrow:
        _viewport(browser, width)
    else:
        browser.set_window_size(width, 1000)
    try:
        _new_visitor(browser, url)
        _wait_for_text(browser, "61,706")
        _idle(browser)

        # 1. an own conv-pool-conv-pool-fc, from nothing, with the form
        _sidebar_choice(browser, "Spec", narrow)
        if not any(b.is_displayed() for b in browser.find_elements(By.CSS_SELECTOR, ".st-key-spec_new button")):
            browser.find_element(By.XPATH, '//summary[contains(., "Spec: build or edit the network")]').click()
            _idle(browser)
        _press(browser, "spec_new", until=lambda d: "layers: []" in _spec(d))
        _add(browser, "conv", out=6, kernel=5)
        _add(browser, "maxpool")  # its own kernel (2), not the conv's 5
        _add(browser, "conv", out=16)  # the kernel box of conv still says 5
        _add(browser, "maxpool")
        _add(browser, "flatten")
        _add(browser, "linear")  # 10 classes by default
        text = _spec(browser)
        assert re.findall(r"maxpool: \{kernel: 2", text) and "kernel: 3" not in text, text
        _wait_for_text(browser, STUDENT_NET_PARAMS)
        _idle(browser)
        _fits(browser, width)
        _shot(browser, width, "builder", docs=True)

        # 2. the kernel mistake: a third 5×5 conv on the 4×4 map; the table up to it and the fix stay
        _add(browser, "conv", out=16)
        _wait_for_text(browser, "The layers up to the mistake")
        body = _body(browser)
        assert "the map is 4×4 here" in body and "use kernel ≤ 4" in body, body[-2000:]
        assert "28 → conv 5 → 24 → maxpool 2 → 12 → conv 5 → 8 → maxpool 2 → 4" in body
        heading = browser.find_element(By.XPATH, '//*[text()="The layers up to the mistake"]')
        table = heading.find_element(By.XPATH, 'following::*[@data-testid="stDataFrame"][1]')
        assert table.is_displayed() and table.size["height"] > 100  # the rows planned before the mistake
        _fits(browser, width)
        _shot(browser, width, "mistake", docs=True)
        _press(browser, "spec_undo")
        _wait_for_text(browser, STUDENT_NET_PARAMS)

        # 3. train LeNet-5 on the digits
        _sidebar_choice(browser, "Zoo", narrow)
        _wait_for_text(browser, "61,706")
        _sidebar_choice(browser, "Train", narrow)
        _number(browser, "train_epochs", 2, then=Keys.TAB)
        _press(browser, "train_start")
        _wait_for_text(browser, "Validation accuracy", timeout=300)
        _idle(browser)
        assert "runs=" in browser.current_url
        accuracy = float(re.search(r"Validation accuracy\s+([\d.]+)\s*%", _body(browser)).group(1))
        assert accuracy > 50, accuracy  # two epochs of LeNet-5 on the digits learn (chance: 10 %)
        _fits(browser, width)

        # 4. a reload keeps the run; so does the link in a new session (only its ?runs= token finds the run)
        link = browser.current_url
        for reopen in (browser.refresh, lambda: _new_visitor(browser, link)):
            reopen()
            _wait_for_text(browser, "61,706")
            _idle(browser)
            _sidebar_choice(browser, "Train", narrow)
            _wait_for_text(browser, "Runs of this session (kept on this computer)")
            assert "lenet5" in _body(browser) and f"{accuracy:.1f}" in _body(browser)
        _shot(browser, width, "train-runs", docs=True)

        # 5. its filters and feature maps, with the prediction's top 5
        _sidebar_choice(browser, "Filters & feature maps", narrow)
        WebDriverWait(browser, 120).until(lambda d: _image_sources(d))
        _idle(browser)
        assert "Showing run 1's final weights" in _body(browser) or "Showing run 1's best weights" in _body(browser)
        browser.find_element(By.XPATH, '//*[@role="tab"][contains(., "Feature maps")]').click()
        _wait_for_text(browser, "Prediction (top 5)")
        _idle(browser)
        digit = browser.find_element(By.XPATH, '//label[.//p[text()="Handwritten digit"]]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", digit)
        digit.click()  # digits sample 17, a 7 (load_digits().target[17])
        _wait_for_text(browser, "the input as the model sees it: 28×28, grey")
        _idle(browser)
        body = _body(browser)
        guesses = re.findall(r"^(?:\d\. )?(\d) — ([\d.]+) %$", body, re.M)
        assert len(guesses) == 5, body[-1500:]
        probabilities = [float(p) for _, p in guesses]
        assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 100.5
        assert guesses[0][0] == "7", guesses  # the trained LeNet-5 reads the 7
        _fits(browser, width)
        _shot(browser, width, "prediction", docs=True)
    finally:
        if narrow:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1400, 1000)
