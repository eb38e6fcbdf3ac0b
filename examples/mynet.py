"""Your own modules, named ``file.py:Name`` (docs/getting-started.md, README.md).

    cnnscope summary examples/mynet.py:SmallNet
    cnnscope summary examples/mynet.py:wide                                  # a function returning a module
    cnnscope summary examples/mynet.py:TwoInputs --input '1,3,16,16;1,5'    # several inputs: separate with ';'
"""

import torch
from torch import nn
import torch.nn.functional as F


class SmallNet(nn.Module):
    input_shape = (3, 32, 32)  # C, H, W: the default for `cnnscope summary examples/mynet.py:SmallNet`

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 8 * 8, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def wide():
    return SmallNet(num_classes=100)


class TwoInputs(nn.Module):
    """An image and a vector of 5 side features (metadata, say), joined before the classifier."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 + 5, 2)

    def forward(self, image, features):
        x = torch.flatten(self.pool(F.relu(self.conv(image))), 1)
        return self.fc(torch.cat([x, features], dim=1))
