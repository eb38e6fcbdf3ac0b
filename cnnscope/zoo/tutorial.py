"""The classic teaching nets, exactly as CNN courses write them (zoo names are fixed)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnscope.i18n import N_
from cnnscope.zoo.registry import register_model


@register_model("lenet5", group="tutorial", input_shape=(1, 28, 28),
                description=N_("LeNet-5 (LeCun et al., 1998) with tanh and average pooling"))
def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )


@register_model("alexnet_mnist", group="tutorial", input_shape=(1, 224, 224),
                description=N_("AlexNet (Krizhevsky et al., 2012) for 1×224×224 inputs and 10 classes"))
def alexnet_mnist() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 96, 11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10),
    )


class Inception(nn.Module):
    """Four branches on the same input, concatenated on channels (16 + 24 + 24 + 24 = 88)."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, 1)
        self.branch3x3 = nn.Sequential(
            nn.Conv2d(in_channels, 16, 1), nn.Conv2d(16, 24, 3, padding=1), nn.Conv2d(24, 24, 3, padding=1))
        self.branch5x5 = nn.Sequential(nn.Conv2d(in_channels, 16, 1), nn.Conv2d(16, 24, 5, padding=2))
        self.branch_pool = nn.Conv2d(in_channels, 24, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)


@register_model("inception_mini", group="tutorial", input_shape=(1, 28, 28),
                description=N_("A small GoogLeNet-style net with two Inception blocks"))
def inception_mini() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 10, 5), nn.ReLU(), nn.MaxPool2d(2, 2), Inception(10),
        nn.Conv2d(88, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2), Inception(20),
        nn.Flatten(), nn.Linear(1408, 10),
    )


class ResidualBlock(nn.Module):
    """relu(x + conv(relu(conv(x)))), both convolutions 3×3 with padding 1."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(x + y)


@register_model("resnet_mini", group="tutorial", input_shape=(1, 28, 28),
                description=N_("A small ResNet-style net with two residual blocks"))
def resnet_mini() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), ResidualBlock(16),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), ResidualBlock(32),
        nn.Flatten(), nn.Linear(512, 10),
    )


def nin_block(in_channels: int, out_channels: int, kernel: int, stride: int, padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(),
    )


@register_model("nin", group="tutorial", input_shape=(1, 224, 224),
                description=N_("Network in Network (Lin et al., 2013) for 1×224×224 inputs and 10 classes"))
def nin() -> nn.Module:
    return nn.Sequential(
        nin_block(1, 96, 11, 4, 0), nn.MaxPool2d(3, 2),
        nin_block(96, 256, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(256, 384, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nin_block(384, 10, 3, 1, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class TutorialCNN(nn.Module):
    """The beginner's MNIST net whose forward uses functional ops."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 3)
        self.fc1 = nn.Linear(2000, 500)
        self.fc2 = nn.Linear(500, 11)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.size(0)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.relu(self.conv2(x))
        x = x.view(batch, -1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


@register_model("tutorial_cnn", group="tutorial", input_shape=(1, 28, 28),
                description=N_("The classic beginner MNIST net (functional ReLU, max-pool and view)"))
def tutorial_cnn() -> nn.Module:
    return TutorialCNN()
