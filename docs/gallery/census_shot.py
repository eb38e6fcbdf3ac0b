"""The census explorer's gallery picture (docs/census.md): the shipped torchvision census written as the
explorer page (``cnnscope census ... -o zoo.html``, here from the shipped file), in headless Chromium at
1400 px, with a click on densenet121's point (its row marked, its figures shown).  Run from the repository
root: ``python docs/gallery/census_shot.py``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import io

    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    from cnnscope.export import census_file
    from cnnscope.studies.census import explore
    from tests.conftest import CHROMEDRIVER, CHROMIUM

    rows = census_file.read(explore.shipped_census())
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "zoo.html"
        census_file.write(page, rows)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(1400, 1250)
            driver.get(page.as_uri())
            WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
            picked = next(i for i, row in enumerate(rows) if row["name"] == "densenet121")
            marker = driver.execute_script(
                "var d = document.getElementById('cx-plot').data;"
                "for (var t = 0; t < d.length; t++) { var j = d[t].customdata.indexOf(arguments[0]);"
                "  if (j >= 0) return document.querySelectorAll('#cx-plot .scatterlayer .trace')[t]"
                "    .querySelectorAll('.points path')[j]; }", picked)
            ActionChains(driver).move_to_element(marker).click().perform()
            driver.execute_script("window.scrollTo(0, 0)")
            image = Image.open(io.BytesIO(driver.get_screenshot_as_png()))
            image.save(ROOT / "docs" / "gallery" / "census-explorer.png", optimize=True)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
