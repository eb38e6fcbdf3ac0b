"""The real thing: a Streamlit server on a loopback port, driven by Debian's headless Chromium.

Selects vgg16 in the sidebar like a person would, checks that 138,357,544 parameters appear, and
saves a screenshot (tests/app/screenshots/, ignored by git) to look at.  The timings it prints
are recorded in docs/benchmarks.md.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")),
                       reason="Debian's chromium is not installed"),  # the browser fixture: tests/conftest.py
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(argv):
    port = _free_port()
    env = dict(os.environ, CNNSCOPE_CACHE="0")
    process = subprocess.Popen([*argv, "--port" if argv[-1] == "app" else "--server.port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the Streamlit server did not become healthy within 90 s")
    return process, url, time.monotonic()


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


STREAMLIT_RUN = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
                 "--server.headless", "true", "--browser.gatherUsageStats", "false"]
CNNSCOPE_APP = [sys.executable, "-m", "cnnscope", "app"]


@pytest.fixture(scope="module")
def server():
    """`streamlit run app.py`, as users start it."""
    process, url, ready = _start(STREAMLIT_RUN)
    yield url, ready
    _stop(process)


def _wait_for_text(driver, text: str, timeout: float = 120) -> float:
    start = time.monotonic()
    WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)
    return time.monotonic() - start


def _page_label(driver, page: str, timeout: float = 30):
    """The sidebar's Page option ``page``, once it is drawn (the sidebar may come a moment after the main page)."""
    xpath = f'//section[@data-testid="stSidebar"]//label[.//p[text()="{page}"]]'
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: next(iter(d.find_elements(By.XPATH, xpath)), None))


def test_first_vgg16_summary_after_a_warmed_start(browser):
    """`cnnscope app` imports torch before the server reports ready: time the first visit."""
    process, url, ready = _start(CNNSCOPE_APP)
    try:
        browser.get(f"{url}/?model=vgg16")
        _wait_for_text(browser, "138,357,544")
        first = time.monotonic() - ready
        print(f"\ncnnscope app: first vgg16 summary on screen {first:.2f} s after the server was ready")
        assert first < 15  # generous for a loaded 2-core CI machine; the measured figure is in docs
    finally:
        _stop(process)


def test_vgg16_summary_in_a_real_browser(server, browser):
    url, ready = server
    SHOTS.mkdir(exist_ok=True)
    browser.get(f"{url}/?model=vgg16")  # the first visit: the server process imports torch now
    _wait_for_text(browser, "138,357,544")
    first = time.monotonic() - ready
    print(f"\nstreamlit run app.py: first vgg16 summary on screen {first:.2f} s after the server was ready "
          "(includes importing torch in the server process)")
    time.sleep(1.5)  # let the table and charts draw before the screenshot
    browser.save_screenshot(str(SHOTS / "summary-vgg16.png"))

    browser.get(url)  # a new session on lenet5, then pick vgg16 in the sidebar like a person
    _wait_for_text(browser, "61,706")
    box = browser.find_element(By.CSS_SELECTOR, 'section[data-testid="stSidebar"] div[data-testid="stSelectbox"] input')
    box.click()
    box.send_keys("vgg16")
    box.send_keys(Keys.ENTER)
    switch = _wait_for_text(browser, "138,357,544")
    print(f"switching to vgg16 (already analysed) took {switch:.2f} s")
    assert "138,357,544" in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(str(SHOTS / "summary-vgg16-selected.png"))
    assert switch < 5  # generous for a loaded 2-core CI machine; the measured figure is in docs


# -- issue 14: the app's own navigation, no error box, links, and the timings of docs/benchmarks.md ----------

MARKERS = {"Summary": "MACs per layer", "Receptive field": "Receptive fields of", "Filters & feature maps":
           "Filters and feature maps", "Compare": "Architectures", "Train": "Train", "Export": "Export"}


@pytest.fixture(scope="module")
def app_server():
    """`cnnscope app`, the documented way to start it (entry script beside the pages package)."""
    process, url, ready = _start(CNNSCOPE_APP)
    yield url, ready
    _stop(process)


def _idle(driver, timeout: float = 120) -> float:
    """Wait until the script has finished (Streamlit's running indicator gone for a moment); returns
    when it went."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 0.4:
            return quiet_since
        time.sleep(0.05)
    pytest.fail("the page did not finish running")


def _problems(driver) -> list[str]:
    """Streamlit's automatic page list, error boxes and exceptions on the page."""
    found = [f"page list: {e.text!r}" for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"]')]
    found += [f"error: {e.text!r}" for e in driver.find_elements(
        By.CSS_SELECTOR, '[data-testid="stAlertContentError"], [data-testid="stException"]')]
    return found


def _open_sidebar(driver) -> None:
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stExpandSidebarButton"]')
               if b.is_displayed()]
    if buttons:
        buttons[0].click()
        time.sleep(0.5)


def _pick_page(driver, page: str) -> None:
    _open_sidebar(driver)
    _page_label(driver, page).click()
    _wait_for_text(driver, MARKERS[page])
    _idle(driver)


@pytest.mark.parametrize("width", [400])  # at 1400 px: test_the_pictures_docs_app_shows, on the same server
def test_every_page_has_no_streamlit_page_list_and_no_error_box(app_server, browser, width):
    url, _ = app_server
    browser.set_window_size(width, 1000)
    try:
        browser.get(url)
        _wait_for_text(browser, "61,706")
        _idle(browser)
        for page in MARKERS:
            _pick_page(browser, page)
            assert not _problems(browser), (page, width, _problems(browser))
            body = browser.find_element(By.TAG_NAME, "body").text
            assert "Traceback" not in body and "internal error" not in body, (page, width)
            if width == 400:
                browser.save_screenshot(str(SHOTS / f"phone-{page.split()[0].lower()}.png"))
    finally:
        browser.set_window_size(1400, 1000)


def test_a_pages_folder_url_opens_the_app_not_a_blank_page(app_server, browser):
    url, _ = app_server
    browser.get(f"{url}/images")
    _wait_for_text(browser, "61,706")
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"]')


@pytest.mark.parametrize("width", [1400, 400])
def test_an_unknown_model_in_the_link_is_shown_in_the_main_page(app_server, browser, width):
    url, _ = app_server
    browser.set_window_size(width, 1000)
    try:
        browser.get(f"{url}/?model=resnet81")
        _wait_for_text(browser, "61,706")
        boxes = [e for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] [data-testid="stAlertContentError"]')
                 if e.is_displayed()]
        assert boxes and "unknown model 'resnet81'" in boxes[0].text and "resnet18" in boxes[0].text
        WebDriverWait(browser, 10).until(lambda d: "model=lenet5" in d.current_url)  # the URL follows the model
    finally:
        browser.set_window_size(1400, 1000)


def test_a_shared_link_puts_no_link_or_image_into_the_page(app_server, browser):
    """Streamlit's own Markdown renderer (GFM: autolinks too) shows a hostile spec name as text."""
    import urllib.parse

    name = "[Open the fixed model](https://example.com/x) ![t](http://127.0.0.1:9/p.png) www.example.org"
    spec = f'name: "{name}"\ninput: [1, 8, 8]\nlayers:\n  - conv: {{out: 2, kernel: 3}}\n  - relu\n'
    url, _ = app_server
    browser.get(f"{url}/?spec={urllib.parse.quote(spec)}")
    _wait_for_text(browser, "input 1×1×8×8")
    _idle(browser)
    assert name in browser.find_element(By.TAG_NAME, "h2").text  # the header shows the name as written
    assert not browser.find_elements(By.CSS_SELECTOR, 'img[src*="127.0.0.1:9"]')  # no remote image loaded
    # no link hides where it goes: Streamlit's GFM still links a bare URL, but shows that URL as its text
    links = [(a.text.strip(), a.get_attribute("href")) for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")
             if not a.get_attribute("href").startswith(url)]
    assert all(text and text.rstrip("/") in href for text, href in links), links


def test_the_diagram_is_drawn_at_its_natural_size(app_server, browser):
    url, _ = app_server
    browser.get(url)
    _wait_for_text(browser, "61,706")
    _idle(browser)
    browser.find_element(By.XPATH, '//*[@role="tab"][contains(., "Diagram")]').click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stGraphVizChart"] svg'))
    svg = browser.find_element(By.CSS_SELECTOR, '[data-testid="stGraphVizChart"] svg')
    print(f"\nlenet5 diagram: {svg.size['width']}×{svg.size['height']} px")
    assert svg.size["height"] < 2500  # was 6,142 px stretched to the page's width


def _image_sources(driver) -> list[str] | None:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        return [e.get_attribute("src") for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] img')]
    except StaleElementReferenceException:  # redrawn while read: read again
        return None


def _timed_click(driver, element) -> float:
    """Seconds from a click until the page's pictures changed and the script finished (the later of the two)."""
    before = _image_sources(driver)
    start = time.monotonic()
    element.click()
    WebDriverWait(driver, 60, poll_frequency=0.05).until(lambda d: _image_sources(d) not in (None, before))
    changed = time.monotonic()
    return max(changed, _idle(driver)) - start


def test_vgg16_timings_switching_models_and_clicks_on_the_filters_page(app_server, browser):
    url, _ = app_server
    browser.get(f"{url}/?model=vgg16")
    first = _wait_for_text(browser, "138,357,544")
    print(f"\nvgg16 summary on screen {first:.2f} s after opening the page (server ready, vgg16 not analysed yet "
          "or analysed by an earlier test)")
    _idle(browser)
    box = browser.find_element(By.CSS_SELECTOR, 'section[data-testid="stSidebar"] div[data-testid="stSelectbox"] input')
    box.click()
    box.send_keys("lenet5")
    box.send_keys(Keys.ENTER)
    _wait_for_text(browser, "61,706")
    _idle(browser)
    box = browser.find_element(By.CSS_SELECTOR, 'section[data-testid="stSidebar"] div[data-testid="stSelectbox"] input')
    box.click()
    box.send_keys("vgg16")
    start = time.monotonic()
    box.send_keys(Keys.ENTER)
    _wait_for_text(browser, "138,357,544")
    switch = time.monotonic() - start
    print(f"switching back to vgg16 (already analysed): {switch:.2f} s")
    _idle(browser)
    start = time.monotonic()
    _pick_page(browser, "Filters & feature maps")
    WebDriverWait(browser, 120).until(lambda d: _image_sources(d))
    _idle(browser)
    print(f"Filters & feature maps for vgg16, first visit (builds vgg16 with random weights): "
          f"{time.monotonic() - start:.2f} s")
    shared = browser.find_element(By.XPATH, '//label[.//p[text()="One shared scale"]]')
    clicks = [_timed_click(browser, shared), _timed_click(browser, shared)]
    browser.find_element(By.XPATH, '//*[@role="tab"][contains(., "Feature maps")]').click()
    WebDriverWait(browser, 60).until(lambda d: len(_image_sources(d) or []) >= 2)
    _idle(browser)
    digit = browser.find_element(By.XPATH, '//label[.//p[text()="Handwritten digit"]]')
    clicks.append(_timed_click(browser, digit))  # a new image: computed once
    photo = browser.find_element(By.XPATH, '//label[.//p[text()="Sample photo"]]')
    clicks.append(_timed_click(browser, photo))  # back to the photo: from the cache
    print("clicks on Filters & feature maps after the first: " + ", ".join(f"{c:.2f} s" for c in clicks))
    _pick_page(browser, "Receptive field")
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.XPATH, '//*[contains(text(), "theoretical field")]'))
    _idle(browser)
    effective = '//label[.//p[starts-with(text(), "Effective field")]]'
    _scroll_to(browser, effective)
    rf_clicks = [_timed_click(browser, browser.find_element(By.XPATH, effective)) for _ in range(2)]
    print("clicks on the Receptive field page for vgg16 (effective field off: a new view; on: drawn before): "
          + ", ".join(f"{c:.2f} s" for c in rf_clicks))
    assert switch < 5 and max(clicks + rf_clicks) < 5  # generous for a loaded 2-core machine; figures in docs


# -- the pictures of docs/app.md: each page in the state its caption describes --------------------------------

DOC_SHOTS = SHOTS / "docs"  # copied to docs/gallery/ by hand, after looking at each


def _scroll_to(driver, xpath: str):
    element = WebDriverWait(driver, 60).until(lambda d: next(iter(d.find_elements(By.XPATH, xpath)), None))
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
    time.sleep(0.5)
    return element


def _top(driver) -> None:
    """Back to the top of the main page (Streamlit keeps the scroll position from page to page)."""
    driver.execute_script("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0); window.scrollTo(0, 0)")
    time.sleep(0.3)


def _click(driver, xpath: str) -> None:
    element = driver.find_element(By.XPATH, xpath)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _shot(driver, name: str) -> None:
    assert not _problems(driver), (name, _problems(driver))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in body and "internal error" not in body, name
    time.sleep(1.0)  # charts and images finish drawing
    driver.save_screenshot(str(DOC_SHOTS / f"{name}.png"))


def test_the_pictures_docs_app_shows(app_server, browser):
    """Every page, as `cnnscope app` serves it, with no Streamlit page list and no error box: the pictures
    of docs/app.md."""
    import urllib.parse

    from cnnscope.app.spec_text import DEFAULT_SPEC

    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    url, _ = app_server
    browser.get(f"{url}/?model=resnet18")
    _wait_for_text(browser, "11,689,512")
    _idle(browser)
    _shot(browser, "app-summary")

    _pick_page(browser, "Receptive field")
    _top(browser)
    _shot(browser, "app-rf")
    _scroll_to(browser, '//h3[contains(., "One unit on an image")]')
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.XPATH, '//*[contains(text(), "theoretical field")]'))
    _idle(browser)
    _shot(browser, "app-rf-unit")

    _pick_page(browser, "Filters & feature maps")
    WebDriverWait(browser, 120).until(lambda d: _image_sources(d))
    _idle(browser)
    _top(browser)
    _shot(browser, "app-filters")
    _click(browser, '//*[@role="tab"][contains(., "Feature maps")]')
    WebDriverWait(browser, 120).until(lambda d: len(_image_sources(d) or []) >= 2)
    _idle(browser)
    _shot(browser, "app-feature-maps")

    _pick_page(browser, "Compare")
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]'))
    _idle(browser)
    _top(browser)
    _shot(browser, "app-compare")

    browser.get(f"{url}/?model=lenet5")  # the Train pictures: the default model, the form's defaults
    _wait_for_text(browser, "61,706")
    _idle(browser)
    _pick_page(browser, "Train")
    _click(browser, '//button[.//p[text()="Train"]]')
    _wait_for_text(browser, "Validation accuracy", timeout=300)
    _idle(browser)
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()  # no tooltip
    _top(browser)
    _shot(browser, "app-train")
    _scroll_to(browser, '//*[contains(text(), "Validation accuracy")]')
    _shot(browser, "app-train-result")

    # the Export page for the default spec, opened from a link that carries it
    browser.get(f"{url}/?spec={urllib.parse.quote(DEFAULT_SPEC)}")
    _wait_for_text(browser, "tiny_vgg")
    _idle(browser)
    _pick_page(browser, "Export")
    _wait_for_text(browser, "PyTorch code")
    _idle(browser)
    _top(browser)
    _shot(browser, "app-export")
