"""cnnedu: the library behind the cnnedu textbook on convolutional networks.

Submodules are imported on first use, so ``import cnnedu`` stays fast and does
not compile any Numba kernel::

    import cnnedu.functional as F      # convolution, pooling, resampling (+ backward)
    from cnnedu import sizes           # output sizes, padding, parameter counts
    from cnnedu import reference       # the lecture's loops, plain Python
    from cnnedu import gradcheck       # numerical gradients
    from cnnedu import data            # MNIST, digits, sequences, patterns, augmentation
    from cnnedu import viz             # drawings and scan animations
    from cnnedu import nn, optim       # layers, losses, optimizers
    from cnnedu import train           # fit / evaluate / predict, History, the LeNet-5 recipe
    from cnnedu import models          # LeNet-5 ... MobileNet, summary()
    from cnnedu import interop         # to_torch / from_torch (needs PyTorch)
    from cnnedu import widgets         # sliders: ConvExplorer, PoolingExplorer, ...
    from cnnedu import exercises       # check_... helpers for the book's exercises
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("functional", "sizes", "reference", "gradcheck", "data", "viz", "nn", "optim", "models", "interop", "widgets", "exercises", "train")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    # PEP 562 lazy import: ``cnnedu.sizes`` works after a bare ``import cnnedu``.
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cnnedu' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
