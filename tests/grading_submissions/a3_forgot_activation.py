"""A3 mistake: build_lenet has no activation after conv2 (conv2 feeds pool2 directly)."""

from cnnedu import nn, sizes


def build_lenet(input_size=32, num_classes=10):
    n = input_size
    for _ in range(2):
        n = sizes.pool_output_size(sizes.conv_output_size(n, 5), 2)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * n * n, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
