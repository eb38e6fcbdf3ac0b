"""The interactive diagram's gallery pictures (docs/gallery.md, "The interactive diagram"): resnet18's
``graph -o arch.html`` in headless Chromium, at depth 1 with the heat colour by MACs (1100×1750), then at depth 2 (1400×900) with layer2.0
opened by a search for its downsampling convolution.  Run from the repository root:
``python docs/gallery/diagram_shots.py``."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _shot(driver, path: Path) -> None:
    """The window down to the diagram's bottom edge (no empty page below it)."""
    import io

    from PIL import Image

    bottom = driver.execute_script("return document.querySelector('svg.cnn-diagram-svg').getBoundingClientRect().bottom")
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png()))
    image.crop((0, 0, image.width, min(image.height, int(bottom) + 10))).save(path, optimize=True)


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    from tests.conftest import CHROMEDRIVER, CHROMIUM

    out = ROOT / "docs" / "gallery"
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "arch.html"
        subprocess.run([sys.executable, "-m", "cnnscope", "graph", "resnet18", "-o", str(page)], check=True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900", "--hide-scrollbars"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(1100, 1750)  # tall: the depth-1 chain whole at its natural size
            driver.get(page.as_uri())
            driver.find_element(By.CSS_SELECTOR, "input.cnn-heat").click()
            driver.find_element(By.CSS_SELECTOR, "button.cnn-fit").click()
            driver.find_element(By.CSS_SELECTOR, '[data-layer="conv1"]').click()
            _shot(driver, out / "diagram-resnet18-depth1.png")
            driver.set_window_size(1400, 900)
            driver.find_element(By.CSS_SELECTOR, "input.cnn-heat").click()
            driver.execute_script("var s = document.querySelector('select.cnn-depth'); s.value = '2';"
                                  "s.dispatchEvent(new Event('change'));")
            box = driver.find_element(By.CSS_SELECTOR, "input.cnn-search")
            box.send_keys("layer2.0.downsample.0\n")
            _shot(driver, out / "diagram-resnet18-opened.png")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
