"""A3 mistake: lenet_shapes computes a convolution's output size as n − K instead of n − K + 1."""

import numpy as np


def lenet_shapes(height, width):
    maps, h, w = [], height, width
    for channels in (6, 16):
        h, w = h - 5, w - 5
        maps.append((channels, h, w))
        h, w = h // 2, w // 2
        maps.append((channels, h, w))
    maps = np.array(maps)
    return maps, int(np.prod(maps[-1]))
