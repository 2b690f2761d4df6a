r"""The networks of the lecture's architecture tour, built from :mod:`cnnedu.nn` layers.

Every model is a :class:`cnnedu.nn.Module` (a :class:`~cnnedu.nn.Sequential` of
named layers and blocks) whose forward and backward passes work like any
layer's, so it trains with :mod:`cnnedu.optim`, prints its table of layers with
:func:`summary`, and moves to PyTorch with :func:`cnnedu.interop.to_torch`.

==============================  ====================  ================================  =========================
name                            builder               what                              parameters (1000 classes)
==============================  ====================  ================================  =========================
``"lenet5"``                    :class:`LeNet5`       LeNet-5, 32x32 digits             61,706 (10 classes)
``"alexnet"``                   :class:`AlexNet`      AlexNet, one tower                62,378,344
                                                      ``two_towers=True``: the paper's  60,965,224
``"zfnet"``                     :class:`ZFNet`        ZFNet                             62,357,608
                                                      ``wide=True``: 512-1024-512       107,627,624
``"vgg11"``, ``"vgg13"``        :class:`VGG`          VGG configurations A, B           132,863,336; 133,047,848
``"vgg16_c"``, ``"vgg16"``      :class:`VGG`          configurations C, D               133,638,952; 138,357,544
``"vgg19"``                     :class:`VGG`          configuration E                   143,667,240
``"googlenet"``                 :class:`GoogLeNet`    GoogLeNet (Inception modules)     6,998,552
``"resnet18"``, ``"resnet34"``  :class:`ResNet`       ResNet, torchvision's layout      11,689,512; 21,797,672
``"resnet50"``                  :class:`ResNet`       with bottleneck blocks            25,557,032
``"densenet121"``               :class:`DenseNet`     DenseNet-121                      7,978,856
``"mobilenet_v1"``              :class:`MobileNetV1`  MobileNet v1, width multiplier    4,231,976
==============================  ====================  ================================  =========================

(:data:`PUBLISHED_PARAMETERS` lists the published counts the tests check.)
The blocks are importable on their own: :class:`Inception`,
:class:`DenseBlock`, :class:`Bottleneck`, :class:`DepthwiseSeparableBlock`,
:class:`AdaptiveAvgPool2d`, :class:`Concat` (and :class:`cnnedu.nn.BasicBlock`).

Common arguments: ``num_classes``, ``in_channels``, ``dtype`` (float32 or
float64), ``rng`` (a ``numpy.random.Generator``, a seed, or ``None`` for the
library's default generator) and ``init_weights``:

* ``init_weights=True`` (the default) draws He-normal weights, the
  distribution every ``cnnedu.nn`` layer uses, directly in the model's dtype
  (fast: VGG-16's 138 million weights take a few seconds);
* ``init_weights=False`` leaves them at zero: every layer and parameter array
  exists with its shape, but no random number is drawn.  Use it when only the
  shapes matter (:func:`summary`, parameter counts) or before loading weights.

Most builders also take ``width`` (multiplies the number of filters, for fast
thin copies) and ``input_size``.

Examples
--------
>>> from cnnedu import models
>>> net = models.get_model("lenet5", rng=0)
>>> print(models.summary(net).totals())
Total parameters: 61,706   MACs per example: 416,520
>>> models.list_models()[:4]
['alexnet', 'densenet121', 'googlenet', 'lenet5']
"""

from __future__ import annotations

import difflib

from ._build import init_weights_
from ._layers import (AdaptiveAvgPool2d, Bottleneck, Concat, DenseBlock, DenseLayer, DepthwiseSeparableBlock,
                      Inception, Transition)
from .alexnet import AlexNet, ZFNet, alexnet, zfnet
from .densenet import DenseNet, densenet121
from .inception import GoogLeNet, googlenet
from .lenet import LeNet5, lenet5
from .mobilenet import MobileNetV1, mobilenet_v1
from .resnet import ResNet, resnet18, resnet34, resnet50
from .summary import Summary, SummaryRow, register_shape_rule, summary
from .vgg import VGG, vgg, vgg11, vgg13, vgg16, vgg16_c, vgg19

__all__ = [
    "get_model", "list_models", "PUBLISHED_PARAMETERS", "summary", "Summary", "SummaryRow",
    "register_shape_rule", "init_weights_",
    "LeNet5", "AlexNet", "ZFNet", "VGG", "GoogLeNet", "ResNet", "DenseNet", "MobileNetV1",
    "lenet5", "alexnet", "zfnet", "vgg", "vgg11", "vgg13", "vgg16_c", "vgg16", "vgg19", "googlenet",
    "resnet18", "resnet34", "resnet50", "densenet121", "mobilenet_v1",
    "AdaptiveAvgPool2d", "Concat", "Inception", "DenseLayer", "DenseBlock", "Transition", "Bottleneck",
    "DepthwiseSeparableBlock",
]

_REGISTRY = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "zfnet": zfnet,
    "vgg11": vgg11,
    "vgg13": vgg13,
    "vgg16_c": vgg16_c,
    "vgg16": vgg16,
    "vgg19": vgg19,
    "googlenet": googlenet,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "densenet121": densenet121,
    "mobilenet_v1": mobilenet_v1,
}

#: Published parameter counts, ``(name, builder keyword arguments) -> count``, for 1000 classes.
#: Sources: LeNet-5 as built in every course (the 1998 network had about 60,000);
#: AlexNet's two-tower network ("60 million"; exact from the paper's layer sizes);
#: VGG's Table 1 configurations (as torchvision's vgg11/13/16/19, and C computed from
#: the table); torchvision's resnet18/34/50 and densenet121; MobileNet v1 1.0 ("4.2 million",
#: Keras' trainable count).
PUBLISHED_PARAMETERS = {
    ("lenet5", ()): 61_706,
    ("alexnet", (("two_towers", True),)): 60_965_224,
    ("vgg11", ()): 132_863_336,
    ("vgg13", ()): 133_047_848,
    ("vgg16_c", ()): 133_638_952,
    ("vgg16", ()): 138_357_544,
    ("vgg19", ()): 143_667_240,
    ("resnet18", ()): 11_689_512,
    ("resnet34", ()): 21_797_672,
    ("resnet50", ()): 25_557_032,
    ("densenet121", ()): 7_978_856,
    ("mobilenet_v1", ()): 4_231_976,
}


def _normalise(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


_BY_KEY = {_normalise(n): n for n in _REGISTRY}


def list_models() -> list[str]:
    """The names :func:`get_model` knows, sorted.

    Examples
    --------
    >>> "vgg16" in list_models()
    True
    """
    return sorted(_REGISTRY)


def get_model(name: str, **kwargs):
    """Build a model of the zoo by name.

    Parameters
    ----------
    name : str
        One of :func:`list_models`; case, ``-`` and ``_`` do not matter
        (``"VGG-16"``, ``"ResNet18"``, ``"mobilenetv1"``).
    **kwargs
        Passed to the builder: ``num_classes``, ``in_channels``, ``dtype``, ``rng``,
        ``init_weights``, and the model's own options (``two_towers``, ``width``, ...).

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid ones.

    Examples
    --------
    >>> net = get_model("LeNet-5", activation="tanh", rng=0)
    >>> type(net).__name__, net.input_shape
    ('LeNet5', (1, 32, 32))
    """
    if not isinstance(name, str):
        raise TypeError(f"get_model: name must be a string, one of {list_models()}, got {name!r}")
    key = _BY_KEY.get(_normalise(name))
    if key is None:
        close = difflib.get_close_matches(_normalise(name), list(_BY_KEY), n=1)
        hint = f" (did you mean {_BY_KEY[close[0]]!r}?)" if close else ""
        raise ValueError(f"get_model: unknown model {name!r}{hint}; valid names are {', '.join(list_models())}")
    return _REGISTRY[key](**kwargs)
