"""A3 mistake: lenet_shapes counts the features of one map only (H·W instead of C·H·W)."""

import numpy as np

from cnnedu import sizes


def lenet_shapes(height, width):
    maps, h, w = [], height, width
    for channels in (6, 16):
        h, w = sizes.conv_output_size(h, 5), sizes.conv_output_size(w, 5)
        maps.append((channels, h, w))
        h, w = sizes.pool_output_size(h, 2), sizes.pool_output_size(w, 2)
        maps.append((channels, h, w))
    maps = np.array(maps)
    return maps, int(maps[-1, 1] * maps[-1, 2])
