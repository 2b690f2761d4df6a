"""Bad input: errors name the layer, the expected and the actual shapes, and hint at the usual cause."""

import re

import numpy as np
import pytest

from cnnedu import nn


def raises(exc, *fragments):
    """pytest.raises matching every fragment literally, in order."""
    return pytest.raises(exc, match=".*".join(re.escape(f) for f in fragments))


# ---------------------------------------------------------------------------
# Wrong shapes fed to layers
# ---------------------------------------------------------------------------

def test_linear_after_wrong_flatten_size():
    fc = nn.Linear(400, 120, rng=0)
    with raises(ValueError, "Linear(400 -> 120) got 256 features", "(16, 256)",
                "check the output size of the layer before Flatten"):
        fc(np.zeros((16, 256)))


def test_linear_without_flatten():
    with raises(ValueError, "Linear(400 -> 120) expects a 2-D input (N, in_features), got shape (8, 16, 5, 5)",
                "put a Flatten() before it", "16 * 5 * 5 = 400 features, which matches in_features"):
        nn.Linear(400, 120, rng=0)(np.zeros((8, 16, 5, 5)))
    with raises(ValueError, "16 * 4 * 4 = 256 features, but in_features is 400"):
        nn.Linear(400, 120, rng=0)(np.zeros((8, 16, 4, 4)))


def test_linear_single_example_hint():
    with raises(ValueError, "Linear(3 -> 2) expects a 2-D input", "got shape (3,)", "x[None]"):
        nn.Linear(3, 2, rng=0)(np.zeros(3))


def test_conv2d_wrong_channels():
    conv = nn.Conv2d(3, 16, 5, rng=0)
    with raises(ValueError, "Conv2d(3 -> 16, kernel 5x5) expects 3 input channels, got 1",
                "(input shape (8, 1, 28, 28))", "check out_channels of the layer before"):
        conv(np.zeros((8, 1, 28, 28)))


def test_conv2d_channels_last_hint():
    with raises(ValueError, "expects 3 input channels, got 32", "channels-last", "x.transpose(0, 3, 1, 2)"):
        nn.Conv2d(3, 16, 5, rng=0)(np.zeros((8, 32, 32, 3)))


def test_conv2d_missing_batch_dimension():
    with raises(ValueError, "Conv2d(3 -> 16, kernel 5x5) expects a 4-D input (N, C, H, W), got shape (3, 32, 32)",
                "add a batch dimension"):
        nn.Conv2d(3, 16, 5, rng=0)(np.zeros((3, 32, 32)))


def test_conv2d_input_smaller_than_kernel():
    with raises(ValueError, "Conv2d(1 -> 2, kernel 5x5) got input of shape (1, 1, 3, 3)", "does not fit"):
        nn.Conv2d(1, 2, 5, rng=0)(np.zeros((1, 1, 3, 3)))


def test_conv1d_and_transpose_wrong_channels():
    with raises(ValueError, "Conv1d(2 -> 4, kernel 3) expects 2 input channels, got 5"):
        nn.Conv1d(2, 4, 3, rng=0)(np.zeros((1, 5, 10)))
    with raises(ValueError, "Conv1d(2 -> 4, kernel 3) expects a 3-D input (N, C, L), got shape (1, 2, 10, 10)"):
        nn.Conv1d(2, 4, 3, rng=0)(np.zeros((1, 2, 10, 10)))
    with raises(ValueError, "ConvTranspose2d(8 -> 4, kernel 2x2) expects 8 input channels, got 4"):
        nn.ConvTranspose2d(8, 4, 2, rng=0)(np.zeros((1, 4, 3, 3)))


def test_depthwise_separable_and_block_wrong_channels():
    with raises(ValueError, "DepthwiseSeparableConv2d(32 -> 64, kernel 3x3) expects 32 input channels, got 16"):
        nn.DepthwiseSeparableConv2d(32, 64, 3, rng=0)(np.zeros((1, 16, 8, 8)))
    with raises(ValueError, "BasicBlock(16 -> 32, stride 2) expects 16 input channels, got 8"):
        nn.BasicBlock(16, 32, 2, rng=0)(np.zeros((1, 8, 8, 8)))


def test_pool_errors():
    with raises(ValueError, "MaxPool2d(kernel 2x2) expects a 4-D input (N, C, H, W), got shape (4, 4)"):
        nn.MaxPool2d(2)(np.zeros((4, 4)))
    with raises(ValueError, "AvgPool2d(kernel 5x5) got input of shape (1, 1, 3, 3)", "does not fit"):
        nn.AvgPool2d(5)(np.zeros((1, 1, 3, 3)))
    with raises(ValueError, "LPPool2d(kernel 2x2, p=3) expects a 4-D input"):
        nn.LPPool2d(3, 2)(np.zeros((1, 4, 4)))


def test_batchnorm_errors():
    with raises(ValueError, "BatchNorm2d(16) expects 16 channels (num_features), got 6", "(2, 6, 4, 4)",
                "out_channels of the layer before"):
        nn.BatchNorm2d(16)(np.zeros((2, 6, 4, 4)))
    with raises(ValueError, "BatchNorm1d(4) expects a 2-D or 3-D input (N, C) or (N, C, L), got shape (2, 4, 1, 1)"):
        nn.BatchNorm1d(4)(np.zeros((2, 4, 1, 1)))
    with raises(ValueError, "BatchNorm1d(4) in training mode needs more than 1 value per channel",
                "got input shape (1, 4)", ".eval()"):
        nn.BatchNorm1d(4)(np.zeros((1, 4)))
    nn.BatchNorm1d(4).eval()(np.zeros((1, 4)))                       # fine in eval mode


def test_sequential_adds_the_failing_layer_as_a_note():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(400, 10, rng=0))
    with pytest.raises(ValueError, match=re.escape("Linear(400 -> 10) got 864 features")) as info:
        net(np.zeros((2, 1, 28, 28)))
    assert any("layer (4)" in note for note in info.value.__notes__)


def test_non_numeric_input():
    with raises(TypeError, "Linear(2 -> 2): x must be a real numeric array, got dtype <U1"):
        nn.Linear(2, 2, rng=0)(np.array([["a", "b"]]))


def test_dy_of_wrong_shape():
    relu = nn.ReLU()
    relu(np.zeros((2, 3)))
    with raises(ValueError, "ReLU().backward: dy must have the shape of the forward output (2, 3), got (3, 2)"):
        relu.backward(np.zeros((3, 2)))


# ---------------------------------------------------------------------------
# Bad constructor arguments
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make, exc, fragment", [
    (lambda: nn.Conv2d(3, 16, 0), ValueError, ("Conv2d: kernel_size must be", "got 0")),
    (lambda: nn.Conv2d(3, 16, 3, stride=0), ValueError, ("Conv2d: stride must be", "got 0")),
    (lambda: nn.Conv2d(3, 16, 3, groups=2), ValueError, "groups must divide in_channels and out_channels"),
    (lambda: nn.Conv2d(3, 16, 3, padding="half"), ValueError, "padding must be an int"),
    (lambda: nn.Conv2d(3, 16, 3, padding=-1), ValueError, ("padding must be", "got -1")),
    (lambda: nn.Conv2d(3.0, 16, 3), TypeError, "in_channels must be an integer"),
    (lambda: nn.Conv2d(3, 16, 3, bias="no"), TypeError, "bias must be True or False"),
    (lambda: nn.Linear(0, 3), ValueError, ("Linear: in_features must be", "got 0")),
    (lambda: nn.Dropout(1.5), ValueError, "Dropout: p must be a probability in [0, 1], got 1.5"),
    (lambda: nn.Dropout(-0.1), ValueError, "Dropout: p must be >= 0.0"),
    (lambda: nn.BatchNorm2d(0), ValueError, ("BatchNorm2d: num_features must be", "got 0")),
    (lambda: nn.BatchNorm2d(4, momentum=2), ValueError, "momentum must be in [0, 1]"),
    (lambda: nn.LPPool2d(0.5, 2), ValueError, "LPPool2d: norm_type must be >= 1.0, got 0.5"),
    (lambda: nn.MaxPool2d((2, 2, 2)), ValueError, "kernel_size must be an integer or a sequence of 2"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, output_padding=-1), ValueError, ("output_padding must be", "got -1")),
    (lambda: nn.Conv2d(2, 2, 3, rng="seed"), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: nn.CrossEntropyLoss(reduction="none"), ValueError, "reduction must be 'mean' or 'sum'"),
    (lambda: nn.ClassBoxLoss(box_weight=-1), ValueError, "box_weight must be >= 0.0"),
])
def test_bad_constructor_arguments(make, exc, fragment):
    with raises(exc, *((fragment,) if isinstance(fragment, str) else fragment)):
        make()


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def test_labels_out_of_range():
    with raises(ValueError, "CrossEntropyLoss: labels must be class indices in [0, 3) for 3 classes",
                "got values from 0 to 3"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with raises(ValueError, "got values from -1 to 1"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([-1, 1]))


def test_non_integer_labels():
    with raises(ValueError, "labels must be integer class indices, got dtype float64", "astype(np.int64)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_one_hot_labels_hint():
    with raises(ValueError, "labels must be integer class indices of shape (2,), got shape (2, 3)",
                "labels.argmax(axis=1)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.eye(3)[[0, 2]])


def test_labels_of_wrong_length():
    with raises(ValueError, "labels must have shape (2,), one class index per row of logits, got (3,)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_logits(bad):
    logits = np.zeros((2, 3))
    logits[1, 2] = bad
    with raises(ValueError, "CrossEntropyLoss: logits contains NaN or inf (1 of 6 values)", "lower the learning rate"):
        nn.CrossEntropyLoss()(logits, np.array([0, 1]))


def test_logits_shape():
    with raises(ValueError, "logits must be a non-empty 2-D array (N, C), got shape (2, 3, 4, 4)", "Flatten"):
        nn.CrossEntropyLoss()(np.zeros((2, 3, 4, 4)), np.array([0, 1]))


def test_mse_errors():
    with raises(ValueError, "MSELoss: prediction and target must have the same shape, got (2, 4) and (2, 8)"):
        nn.MSELoss()(np.zeros((2, 4)), np.zeros((2, 8)))
    with raises(ValueError, "MSELoss: target contains NaN or inf"):
        nn.MSELoss()(np.zeros(2), np.array([0.0, np.nan]))


def test_class_box_loss_errors():
    loss = nn.ClassBoxLoss()
    with raises(ValueError, "box_pred must have one row per example, 2 like class_logits, got shape (3, 4)"):
        loss(np.zeros((2, 3)), np.array([0, 1]), np.zeros((3, 4)), np.zeros((3, 4)))
    with raises(ValueError, "CrossEntropyLoss: labels must be class indices in [0, 3)"):
        loss(np.zeros((2, 3)), np.array([0, 5]), np.zeros((2, 4)), np.zeros((2, 4)))
