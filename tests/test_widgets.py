"""cnnedu.widgets driven from Python: slider values in, state and rendered figure out (no browser).

The browser test (Voilà + Chromium) is in tests/browser/.
"""

import doctest
import statistics

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnedu.functional as F  # noqa: E402
from cnnedu import sizes, widgets  # noqa: E402
from cnnedu.widgets import (FILTERS, ConvExplorer, FilterPlayground, PoolingExplorer,  # noqa: E402
                            ReceptiveFieldExplorer, TransposedConvExplorer, receptive_field)
from cnnedu.widgets._base import plain_message  # noqa: E402
from cnnedu.widgets.receptive_field import backprop_one_hot  # noqa: E402

# Every update's time, for the summary printed at the end (reported, not asserted).
_TIMES = []


def _record(ex):
    _TIMES.extend(list(ex.redraw_times)[1:])  # the first update may include JIT compilation


def _classes(w):
    return w._dom_classes


@pytest.fixture(scope="module")
def conv():
    ex = ConvExplorer()
    yield ex
    _record(ex)


def _reset_conv(ex, **values):
    """Set a ConvExplorer's controls in one update."""
    defaults = dict(input_size=7, kernel_size=3, stride=1, padding_mode="number", padding=0, dilation=1,
                    position=0)
    defaults.update(values)
    with ex.hold():
        for name, v in defaults.items():
            getattr(ex, name).value = v


# ---------------------------------------------------------------------------
# ConvExplorer
# ---------------------------------------------------------------------------

def test_conv_defaults_and_stride(conv):
    _reset_conv(conv)
    assert conv.output_size == (5, 5) == conv.output_shape
    assert conv.formula == "(7 + 0 + 0 − 3) + 1 = 5"
    assert conv.message == ""
    assert "output 5×5" in conv.size_label.value
    before = conv.png
    conv.stride.value = 2
    assert conv.output_size == (3, 3)
    assert conv.formula == "⌊(7 + 0 + 0 − 3)/2⌋ + 1 = 3"
    assert "output 3×3" in conv.size_label.value
    assert conv.png != before and conv.png.startswith(b"\x89PNG")
    assert conv.drawing.out_size == (3, 3) and conv.drawing.stride == (2, 2)


def test_conv_formula_of_the_brief(conv):
    _reset_conv(conv, stride=2, padding=1)
    assert conv.formula == "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4"
    assert conv.output_size == (4, 4)
    assert conv.pads == (1, 1)
    assert "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4" in conv.formula_label.value
    assert conv.drawing.title.get_text().splitlines()[1].endswith(conv.formula)


def test_conv_impossible_setting_shows_a_message_not_a_traceback(conv):
    _reset_conv(conv)
    good = conv.png
    conv.kernel_size.value = 9          # larger than the 7x7 input: must not raise
    assert conv.output_size is None
    assert "does not fit" in conv.message
    with pytest.raises(ValueError) as exc:
        sizes.conv_output_size(7, 9)
    assert conv.message == plain_message(exc.value)
    assert "does not fit" in conv.message_label.value
    assert "no output" in conv.size_label.value
    assert conv.drawing is None and conv.position.disabled
    assert conv.png != good
    texts = [t.get_text() for t in conv.ax.texts]
    assert any("does not fit" in t.replace("\n", " ") for t in texts)
    conv.kernel_size.value = 3          # back to a valid setting: message gone, drawing back
    assert conv.message == "" and conv.message_label.value == ""
    assert conv.output_size == (5, 5) and not conv.position.disabled
    assert conv.png == good


def test_conv_position_range_follows_the_output(conv):
    _reset_conv(conv)
    assert conv.position.max == 24
    conv.position.value = 24
    assert conv.drawing.position == (4, 4)
    conv.stride.value = 2               # 3x3 output: the position is clamped, not invalid
    assert conv.position.max == 8 and conv.position.value == 8
    assert conv.drawing.position == (2, 2)
    conv.position.value = 5
    assert conv.drawing.position == (1, 2)
    # the window sits where conv2d reads: row 1*2, column 2*2 of the (unpadded) input
    assert tuple(conv.drawing.window[0].get_xy()) == (4, 2)
    conv.stride.value = 1
    assert conv.position.max == 24 and conv.position.value == 5


def test_conv_values_are_conv2d(conv):
    _reset_conv(conv, input_size=6, stride=2, padding_mode="same", position=3)
    z = F.conv2d(conv.x[None, None], conv.w[None, None], stride=2, padding="same")[0, 0]
    assert conv.drawing.output_texts == {(i, j): f"{int(v)}" for (i, j), v in np.ndenumerate(z)}
    np.testing.assert_array_equal(conv.w, [[1, 0, 1], [0, 1, 0], [1, 0, 1]])  # the lecture's filter


def test_conv_padding_modes(conv):
    _reset_conv(conv, padding=2)
    assert not conv.padding.disabled and conv.padding_value == 2
    for mode, n in [("same", 7), ("full", 9), ("valid", 5)]:
        conv.padding_mode.value = mode
        assert conv.padding.disabled and conv.padding_value == mode
        assert conv.output_size == (n, n)
        assert conv.pads == sizes.resolve_padding(7, 3, 1, mode)


@pytest.mark.parametrize("seed", range(3))
def test_conv_random_settings_follow_sizes(conv, seed):
    """Random knob settings: state always matches cnnedu.sizes; impossible ones give its message."""
    rng = np.random.default_rng(seed)
    for _ in range(10):
        n, k, s, d = int(rng.integers(1, 17)), int(rng.integers(1, 10)), int(rng.integers(1, 5)), \
            int(rng.integers(1, 4))
        mode = str(rng.choice(["number", "valid", "same", "full"]))
        p = int(rng.integers(0, 5))
        _reset_conv(conv, input_size=n, kernel_size=k, stride=s, dilation=d, padding_mode=mode, padding=p,
                    position=int(rng.integers(0, 50)))
        spec = p if mode == "number" else mode
        try:
            o = sizes.conv_output_size(n, k, s, spec, d)
        except ValueError as exc:
            assert conv.output_size is None and conv.message == plain_message(exc)
            continue
        assert conv.output_size == (o, o) and conv.message == ""
        assert conv.formula.endswith(f"= {o}")
        assert conv.position.max == o * o - 1 and 0 <= conv.position.value <= o * o - 1
        assert conv.drawing.out_size == (o, o)


def test_conv_no_recompilation_per_move(conv):
    """Every slider move reuses the compiled kernels (one specialisation per dtype)."""
    from cnnedu.functional._im2col import im2col
    _reset_conv(conv)
    n_sigs = len(im2col.signatures)
    for s in (1, 2, 3):
        for d in (1, 2):
            _reset_conv(conv, stride=s, dilation=d, padding_mode="same")
    assert len(im2col.signatures) == n_sigs


def test_show_values_toggle(conv):
    _reset_conv(conv)
    assert conv.drawing.output_texts
    conv.show_values.value = False
    assert conv.drawing.output_texts == {} and conv.drawing.caption.get_text() == ""
    conv.show_values.value = True
    assert conv.drawing.output_texts


def test_widget_tree_and_css_classes(conv):
    assert "cnnedu-output-size" in _classes(conv.size_label)
    assert "cnnedu-stride" in _classes(conv.stride)
    assert "cnnedu-message" in _classes(conv.message_label)
    assert conv.view in conv.widget.children
    bundle = conv._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == conv.widget.model_id


def test_no_pyplot_figures_and_one_reused_figure(conv):
    before = plt.get_fignums()
    ex = ConvExplorer()
    fig = ex.fig
    ex.stride.value = 2
    ex.kernel_size.value = 5
    assert ex.fig is fig and ex.drawing.fig is fig
    assert plt.get_fignums() == before
    _record(ex)


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="input_size must be >= 1"):
        ConvExplorer(input_size=0)
    with pytest.raises(ValueError, match="padding must be one of"):
        ConvExplorer(padding="half")
    with pytest.raises(TypeError, match="stride must be an integer"):
        ConvExplorer(stride=1.5)
    ex = ConvExplorer(input_size=20, padding="same")     # beyond the slider's range: range grows
    assert ex.input_size.max == 20 and ex.output_size == (20, 20)


# ---------------------------------------------------------------------------
# TransposedConvExplorer and PoolingExplorer
# ---------------------------------------------------------------------------

def test_transposed_explorer():
    ex = TransposedConvExplorer()
    assert ex.output_size == (5, 5)
    assert ex.formula == "(2 − 1)·2 − 0 − 0 + (3 − 1) + 0 + 1 = 5"
    z = F.conv_transpose2d(ex.x[None, None], ex.w[None, None], stride=2)[0, 0]
    assert ex.drawing.output_texts == {(i, j): f"{int(v)}" for (i, j), v in np.ndenumerate(z)}
    ex.output_padding.value = 1
    assert ex.output_size == (6, 6) and ex.pads == (0, 0, 1)
    ex.output_padding.value = 2                              # must be < stride
    assert ex.output_size is None and "output_padding must be smaller" in ex.message
    assert ex.position.disabled
    ex.output_padding.value = 0
    with ex.hold():
        ex.padding_mode.value = "same"
        ex.input_size.value = 3
    assert ex.output_size == (6, 6)                          # "same": N*S
    assert ex.output_size[0] == sizes.conv_transpose_output_size(3, 3, 2, "same")
    with ex.hold():
        ex.padding_mode.value = "number"
        ex.padding.value = 4
        ex.input_size.value = 1
    assert ex.output_size is None and "crops away the whole output" in ex.message
    _record(ex)


@pytest.mark.parametrize("mode", ["max", "mean", "lp"])
def test_pooling_explorer_values(mode):
    ex = PoolingExplorer(mode=mode, input_size=6, kernel_size=3, stride=2, p=3.0)
    x4 = ex.x[None, None]
    expected = {"max": lambda: F.max_pool2d(x4, 3, 2), "mean": lambda: F.avg_pool2d(x4, 3, 2),
                "lp": lambda: F.lp_pool2d(x4, 3.0, 3, 2)}[mode]()[0, 0]
    np.testing.assert_allclose(ex.output, expected)
    assert ex.output_size == (2, 2) == expected.shape
    assert ex.p.disabled == (mode != "lp")
    ex.position.value = 3
    assert ex.caption.startswith("y[1, 1] = ")
    assert ex.caption == ex.drawing.caption.get_text()
    assert "y[1, 1]" in ex.caption_label.value
    _record(ex)


def test_pooling_explorer_messages():
    ex = PoolingExplorer(input_size=4, kernel_size=2)
    assert ex.caption == "y[0, 0] = max(" + ", ".join(
        str(int(v)) for v in ex.x[:2, :2].ravel()) + f") = {int(ex.output[0, 0])}"
    with ex.hold():
        ex.mode.value = "lp"
        ex.padding.value = 1
    assert ex.output_size is None and ex.message == "p-norm pooling (mode='lp') takes no padding, got padding 1"
    ex.mode.value = "max"
    assert ex.message == "" and ex.output_size == (3, 3)
    ex.kernel_size.value = 5                              # fits the padded 4 + 1 + 1 = 6: one output
    assert ex.output_size == (1, 1)
    ex.input_size.value = 2                               # 2 + 1 + 1 = 4 < 5
    assert ex.output_size is None and "does not fit" in ex.message
    _record(ex)


# ---------------------------------------------------------------------------
# Receptive field: formula against back-propagation
# ---------------------------------------------------------------------------

def test_receptive_field_formula():
    assert receptive_field([]) == (1, 1)
    assert receptive_field([(3, 1)]) == (3, 1)
    assert receptive_field([(11, 4), (3, 2), (5, 1), (3, 2)]) == (67, 16)   # AlexNet conv1..pool2
    with pytest.raises(TypeError, match="layers\\[0\\] must be"):
        receptive_field([3])
    with pytest.raises(ValueError, match="kernel must be >= 1"):
        receptive_field([(0, 1)])


def _random_stack(rng, n_layers):
    layers = []
    for _ in range(n_layers):
        kind = str(rng.choice(["conv", "pool"]))
        layers.append((kind, int(rng.integers(1, 6)), int(rng.integers(1, 4)),
                       int(rng.integers(1, 4)) if kind == "conv" else 1))
    return layers


def test_receptive_field_formula_equals_backprop_on_random_stacks():
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 60:
        layers = _random_stack(rng, int(rng.integers(1, 5)))
        n = int(rng.integers(8, 41))
        side = [n]
        try:
            for kind, k, s, d in layers:
                side.append(sizes.conv_output_size(side[-1], k, s, 0, d) if kind == "conv"
                            else sizes.pool_output_size(side[-1], k, s, 0))
        except ValueError:
            continue
        p, q = int(rng.integers(0, side[-1])), int(rng.integers(0, side[-1]))
        grad = backprop_one_hot(layers, n, (p, q))[0]
        r, j = receptive_field([(k, s, d) for _, k, s, d in layers])
        rows, cols = np.flatnonzero(grad.any(axis=1)), np.flatnonzero(grad.any(axis=0))
        assert (rows[0], rows[-1]) == (p * j, p * j + r - 1), layers
        assert (cols[0], cols[-1]) == (q * j, q * j + r - 1), layers
        assert (grad >= 0).all()
        checked += 1


def test_receptive_field_explorer_random_stacks():
    ex = ReceptiveFieldExplorer()
    assert (ex.size, ex.jump, ex.agree) == (6, 2, True)
    assert ex.formula == "r = 1 + (3 − 1)·1·1 + (3 − 1)·1·1 + (2 − 1)·1·1 = 6"
    assert "agree" in ex.field_label.value
    rng = np.random.default_rng(1)
    agreed = 0
    for _ in range(12):
        layers = _random_stack(rng, 4)
        with ex.hold():
            ex.input_size.value = 40
            ex.n_layers.value = int(rng.integers(1, 5))
            for row, (kind, k, s, d) in zip(ex.layers, layers):
                row.kind.value, row.kernel.value, row.stride.value, row.dilation.value = kind, k, s, d
            ex.position.value = int(rng.integers(0, 400))
        if ex.message:
            assert ex.output_size is None and "does not fit" in ex.message and ex.message.startswith("layer ")
            continue
        used = ex.layer_specs
        assert len(used) == ex.n_layers.value
        assert (ex.size, ex.jump) == receptive_field([(k, s, d) for _, k, s, d in used])
        assert ex.agree and ex.box_formula == ex.box_backprop
        assert ex.output_size == (ex.layer_sizes[-1],) * 2
        assert ex.position.max == ex.layer_sizes[-1] ** 2 - 1
        assert ex.gradient.shape == (40, 40)
        agreed += 1
    assert agreed >= 6
    _record(ex)


def test_receptive_field_explorer_hides_unused_layers_and_pool_dilation():
    ex = ReceptiveFieldExplorer(n_layers=2)
    assert [row.box.layout.display for row in ex.layers] == ["", "", "none", "none"]
    ex.layers[1].kind.value = "pool"
    assert ex.layers[1].dilation.disabled and ex.layer_specs[1][3] == 1
    ex.input_size.value = 4
    ex.layers[0].kernel.value = 7
    assert ex.output_size is None and ex.message.startswith("layer 1 (conv): kernel 7")
    _record(ex)


# ---------------------------------------------------------------------------
# Filter playground
# ---------------------------------------------------------------------------

def test_filter_playground_is_conv2d_same_on_a_real_digit():
    from cnnedu import data
    pg = FilterPlayground(digit=7, sample=2)
    (x_train, y_train), _ = data.load_mnist_subset()
    np.testing.assert_array_equal(pg.image, x_train[np.flatnonzero(y_train == 7)[2], 0])
    for name, w in FILTERS.items():
        pg.preset.value = name
        np.testing.assert_array_equal(pg.kernel, w)
        expected = F.conv2d(pg.image[None, None], w[None, None], padding="same")[0, 0]
        np.testing.assert_allclose(pg.output, expected)
        assert pg.output.shape == pg.image.shape == pg.output_size
    before = pg.png
    pg.weights[0][2].value = -3.0                   # editing a weight makes it a custom filter
    assert pg.preset.value == "custom"
    assert pg.kernel[0, 2] == -3.0
    np.testing.assert_allclose(pg.output, F.conv2d(pg.image[None, None], pg.kernel[None, None],
                                                   padding="same")[0, 0])
    assert pg.png != before
    pg.digit.value = 0
    assert pg.axes[0].get_title().startswith("input: a real 0")
    _record(pg)


def test_filter_playground_custom_weights_and_digits_source():
    w = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]
    pg = FilterPlayground(source="digits", weights=w, digit=4)
    assert pg.preset.value == "custom" and pg.image.shape == (8, 8)
    np.testing.assert_allclose(pg.output, F.conv2d(pg.image[None, None], np.array(w, float)[None, None],
                                                   padding="same")[0, 0])
    with pytest.raises(ValueError, match="source must be one of"):
        FilterPlayground(source="cifar")


# ---------------------------------------------------------------------------
# Docstrings and timing
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["scan", "receptive_field", "filters"])
def test_doctests(module):
    import importlib
    mod = importlib.import_module(f"cnnedu.widgets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_redraw_time_is_reported(conv, capsys):
    """Time each slider move of the conv explorer (reported, not asserted)."""
    _reset_conv(conv)
    times = []
    for s in (1, 2, 3, 1):
        conv.stride.value = s
        times.append(conv.last_redraw)
    for k in range(conv.position.max + 1):
        conv.position.value = k
        times.append(conv.last_redraw)
    all_times = times + _TIMES
    with capsys.disabled():
        print(f"\n[cnnedu.widgets] redraw per slider move: median {1e3 * statistics.median(all_times):.0f} ms, "
              f"90th percentile {1e3 * np.percentile(all_times, 90):.0f} ms, "
              f"max {1e3 * max(all_times):.0f} ms over {len(all_times)} updates")
    assert widgets.ConvExplorer is ConvExplorer
