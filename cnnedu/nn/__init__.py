r"""Layers with explicit backward passes, named and laid out like ``torch.nn``.

A CNN is trained exactly like an MLP (the lecture: "the *only* difference is in
the *structure* of the network"), so every layer here has the same interface:

* ``y = layer(x)`` runs :meth:`~Module.forward` and caches what the backward pass needs;
* ``dx = layer.backward(dy)`` adds :math:`\partial L/\partial\theta` into each
  parameter's ``.grad`` and returns :math:`\partial L/\partial x`;
* ``layer.parameters()`` lists the :class:`Parameter` s for an optimiser
  (:mod:`cnnedu.optim`).

A training step::

    import numpy as np
    from cnnedu import nn, optim

    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 10),
    )
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    loss = criterion(net(images), labels)      # images (N, 1, 32, 32), labels (N,) ints
    optimizer.zero_grad()
    net.backward(criterion.backward())
    optimizer.step()

Convolution and pooling run on :mod:`cnnedu.functional`; sizes and parameter
counts are those of :mod:`cnnedu.sizes`.  Parameters are float32 by default
(``dtype=np.float64`` for gradient checks); random initial weights come from
the ``rng`` argument or the library's seeded default generator
(:mod:`cnnedu.nn.init`).
"""

from . import init
from .activation import ReLU, Sigmoid, Tanh
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, DepthwiseSeparableConv2d
from .dropout import Dropout
from .heads import MultiHead
from .invariant import TransformInvariantConv2d
from .linear import Flatten, Linear
from .loss import ClassBoxLoss, CrossEntropyLoss, MSELoss, MultiTaskLoss
from .module import Identity, Module, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AvgPool1d, AvgPool2d, LPPool1d, LPPool2d, MaxPool1d, MaxPool2d
from .residual import BasicBlock, ResidualBlock

__all__ = [
    "init",
    "Parameter", "Module", "Sequential", "Identity", "MultiHead",
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "DepthwiseSeparableConv2d",
    "TransformInvariantConv2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d",
    "Linear", "Flatten",
    "ReLU", "Sigmoid", "Tanh",
    "Dropout",
    "BatchNorm1d", "BatchNorm2d",
    "BasicBlock", "ResidualBlock",
    "CrossEntropyLoss", "MSELoss", "ClassBoxLoss", "MultiTaskLoss",
]
