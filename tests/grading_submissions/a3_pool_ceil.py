"""A3 mistake: lenet_shapes rounds the pooled size up (a ceiling instead of a floor).

Even sizes hide it; the hidden odd sizes do not (33 → conv 29 → pool 15 instead of 14).
"""

import math

import numpy as np


def lenet_shapes(height, width):
    maps, h, w = [], height, width
    for channels in (6, 16):
        h, w = h - 5 + 1, w - 5 + 1
        maps.append((channels, h, w))
        h, w = math.ceil(h / 2), math.ceil(w / 2)
        maps.append((channels, h, w))
    maps = np.array(maps)
    return maps, int(np.prod(maps[-1]))
