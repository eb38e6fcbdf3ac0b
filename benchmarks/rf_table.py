"""Receptive fields of the last feature map of common torchvision models at 224×224.

Prints the Markdown table used in docs/receptive-field.md:  python benchmarks/rf_table.py
The last feature map is ``ModelReport.last_feature_map()``: the last row whose field is still
local, i.e. the input of global pooling, named by the outermost block that returns it.
"""

import sys

import cnnscope

MODELS = ["alexnet", "vgg16", "resnet18", "resnet50", "resnet152", "densenet121", "googlenet", "inception_v3",
          "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0", "squeezenet1_1",
          "mnasnet1_0", "regnet_y_400mf", "resnext50_32x4d", "wide_resnet50_2", "convnext_tiny"]


def main(names) -> None:
    print("| model | input | last feature map | grid | size | jump | start |")
    print("|---|---|---|---|---:|---:|---:|")
    for name in names:
        shape = None if name == "inception_v3" else (1, 3, 224, 224)
        report = cnnscope.analyze(name, shape)
        last = report.last_feature_map()
        grid = "×".join(map(str, last.output_shape[2:]))
        print(f"| {name} | {report.input_shape[2]} | `{last.name}` | {grid} | {last.rf.size[0]} | "
              f"{last.rf.jump[0]} | {last.rf.start[0]} |")


if __name__ == "__main__":
    main(sys.argv[1:] or MODELS)
