"""The MNIST net of PyTorch's own example, as docs/user-guide.md uses it.

    cnnscope summary examples/mnist_net.py:Net
    cnnscope summary examples/mnist_net.py:Net --input 1,32,32     # the Linear no longer fits
"""

import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    input_shape = (1, 28, 28)          # optional: the natural input, C, H, W

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)
