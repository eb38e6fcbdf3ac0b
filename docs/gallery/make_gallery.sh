#!/usr/bin/env bash
# Regenerates every picture in docs/gallery.md.  Run from the repository root.
set -euo pipefail
out=docs/gallery
photo=$(mktemp --suffix=.jpg)
# scikit-learn ships this photo inside its wheel: no download.
python -c "from sklearn.datasets import load_sample_image; from PIL import Image; Image.fromarray(load_sample_image('china.jpg')).save('$photo')"
cnnscope rf resnet18 --layer layer3 --image "$photo" -o $out/rf-resnet18-layer3.png
cnnscope rf vgg16 --layer features.16 --image "$photo" -o $out/rf-vgg16-pool3.png
cnnscope features resnet18 --image "$photo" --layer layer1.0.add --top 16 -o $out/features-resnet18-layer1.png
cnnscope features lenet5 --image digits:17 -o $out/features-lenet5-digit.png
# one unit of LeNet-5 trained on the digits: the first conv, the pool after it, the class probabilities
runs=$(mktemp -d)
cnnscope train lenet5 --out "$runs/lenet5" >/dev/null 2>&1
cnnscope explain --run "$runs/lenet5" --image digits:17 --unit 2,12,12 -o $out/explain-lenet5-conv.png
cnnscope explain --run "$runs/lenet5" --image digits:17 --layer 2 --unit 2,6,6 -o $out/explain-lenet5-pool.png
cnnscope explain --run "$runs/lenet5" --image digits:17 --layer 11 --unit 7 -o $out/explain-lenet5-softmax.png
rm -rf "$runs"
cnnscope explain --arithmetic --size 5 --kernel 3 --padding 1 -o $out/arithmetic-half-padding.gif
cnnscope explain --arithmetic --size 3 --kernel 3 --stride 2 --padding 1 --transposed -o $out/arithmetic-transposed-stride2.gif
cnnscope filters alexnet -o $out/filters-alexnet-random.png
cnnscope graph resnet50 -o $out/graph-resnet50.svg
cnnscope graph resnet50 -o $out/graph-resnet50.png
cnnscope graph inception_mini --rankdir LR -o $out/graph-inception-mini.png
cnnscope graph tutorial_cnn -o $out/graph-tutorial-cnn.png
python docs/gallery/diagram_shots.py  # the interactive diagram (graph -o arch.html) in headless Chromium
kernels=$(mktemp -d)
cnnscope kernels --train -o "$kernels/kernels.md"
cp "$kernels/kernels_charts/chart1.png" $out/kernels-val-acc.png
cp "$kernels/kernels_charts/chart5.png" $out/kernels-effective-fields.png
rm -rf "$kernels"
reports=$(mktemp -d)
cnnscope summary resnet18 -o "$reports/model.html"
cnnscope compare resnet18 vgg16 -o "$reports/compare.html"
for name in model compare; do
  target=$out/report-model-resnet18.png
  [ $name = compare ] && target=$out/report-compare-resnet18-vgg16.png
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --screenshot="$target" --window-size=1400,1800 "file://$reports/$name.html"
done
# the same report made where graphviz is not installed: the page draws its diagram with viz.js
python - "$reports/nodot.html" "$out/report-diagram-without-dot.png" <<'PY'
import sys, time
from unittest import mock
import cnnscope
from cnnscope.export import model_document
from selenium import webdriver
with mock.patch("cnnscope.export.graphviz.shutil.which", return_value=None):  # as without graphviz
    open(sys.argv[1], "w", encoding="utf-8").write(model_document.render(cnnscope.analyze("resnet18"), "html"))
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--window-size=1400,1000"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
driver.get("file://" + sys.argv[1] + "#diagrams")
while driver.execute_script("return document.querySelectorAll('.diagram[data-drawn=pending]').length"):
    time.sleep(0.1)
time.sleep(0.5)
driver.save_screenshot(sys.argv[2])
driver.quit()
PY
rm -rf "$reports"
rm -f "$photo"
