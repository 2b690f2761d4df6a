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
    from cnnedu import neurons         # receptive fields, input gradients, gradient ascent
    from cnnedu import grading         # assignments: generate, grade, Gradescope (``cnnedu`` command)

    cnnedu.check("A1.conv2d_forward", conv2d_forward)   # an assignment's visible tests
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("functional", "sizes", "reference", "gradcheck", "data", "viz", "nn", "optim", "models", "interop", "widgets", "exercises", "train", "neurons", "grading")

__all__ = ["__version__", "check", *_SUBMODULES]


def check(name: str, fn):
    """Run the visible tests of an assignment part on your function: ``check("A1.conv2d_forward", f)``.

    Returns a result that shows itself as text, or as a coloured box in a notebook, and
    is true when every test passed.  While the grader runs your notebook, checks are
    skipped (they return at once).  See :func:`cnnedu.grading.check`.
    """
    import os
    if os.environ.get("CNNEDU_GRADING"):         # inside the grader: no tests, no imports
        from .grading.results import CheckReport
        return CheckReport(name, None, skipped=True)
    from .grading.grader import check as _check
    return _check(name, fn)


def __getattr__(name: str):
    # PEP 562 lazy import: ``cnnedu.sizes`` works after a bare ``import cnnedu``.
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cnnedu' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
