"""cnnedu.viz: the figures carry the numbers cnnedu.sizes and cnnedu.functional compute."""

import doctest
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnedu.functional as F  # noqa: E402
from cnnedu import sizes, viz  # noqa: E402

# The lecture's 5x5 binary image and 3x3 filter.
IMAGE = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
FILTER = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
# The lecture's pooling depth slice.
SLICE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ax():
    """One axes reused by many drawings (each drawing clears it first)."""
    fig, ax = plt.subplots(figsize=(8, 5))
    yield ax
    plt.close(fig)


def n_cells(collection):
    return len(collection.get_paths())


def taps_xy(drawing):
    """Top-left corners (x, y) = (col, row) of the window's tap rectangles."""
    return [tuple(np.round(r.get_xy(), 9)) for r in drawing.window]


def caption_sum(caption):
    """Evaluate a caption's products 'a·b' (+ bias); return (their sum, the printed result, #products)."""
    text = caption.replace("−", "-")
    body, _, result = text.rpartition(" = ")
    products = re.findall(r"\(?(-?[\d.]+)\)?·\(?(-?[\d.]+)\)?", body)
    total = sum(float(a) * float(b) for a, b in products)
    bias = re.search(r"\+ \(?(-?[\d.]+)\)? \(bias\)", body)
    if bias:
        total += float(bias.group(1))
    return total, float(result), len(products)


def positions(n, most=24):
    """At most ``most`` scan-order positions spread over 0..n-1, always with the last one."""
    return sorted(set(range(0, n, max(1, n // most))) | {n - 1})


def discard(anim):
    """Drop an animation that was only inspected (silences matplotlib's "deleted without rendering")."""
    anim._draw_was_started = True


# ---------------------------------------------------------------------------
# The numbers in the cells
# ---------------------------------------------------------------------------

def test_lecture_stride_2_outputs_and_arithmetic(ax):
    d = viz.draw_conv(x=IMAGE, w=FILTER, stride=2, ax=ax)
    assert d.output_texts == {(0, 0): "4", (0, 1): "4", (1, 0): "2", (1, 1): "4"}
    assert d.out_size == (2, 2) and d.position == (0, 0)
    # the highlighted cell's arithmetic, products in kernel order
    assert d.caption.get_text() == "z[0, 0] = 1·1 + 1·0 + 1·1 + 0·0 + 1·1 + 1·0 + 0·1 + 0·0 + 1·1 = 4"
    assert "⌊(5 + 0 + 0 − 3)/2⌋ + 1 = 2" in d.title.get_text()
    # one glyph outline per printed value, drawn
    assert n_cells(d.values["output"]) == 4
    assert n_cells(d.values["input"]) == 25 and n_cells(d.values["weights"]) == 9


def test_lecture_stride_1_outputs_match_conv2d(ax):
    d = viz.draw_conv(x=IMAGE, w=FILTER, ax=ax, position=(2, 1))
    z = F.conv2d(IMAGE[None, None], FILTER[None, None])[0, 0]
    assert d.output_texts == {(i, j): str(int(v)) for (i, j), v in np.ndenumerate(z)}
    assert d.input_texts == {(i, j): str(v) for (i, j), v in np.ndenumerate(IMAGE)}
    assert d.weight_texts == {(i, j): f"×{v}" for (i, j), v in np.ndenumerate(FILTER)}


def test_brief_title_example(ax):
    d = viz.draw_conv(5, 3, stride=2, padding=1, ax=ax)
    assert "⌊(5 + 1 + 1 − 3)/2⌋ + 1 = 3" in d.title.get_text()


@pytest.mark.parametrize("kw", [
    dict(input_size=5, kernel_size=3),
    dict(input_size=7, kernel_size=3, stride=2, padding="same"),
    dict(input_size=(6, 9), kernel_size=(3, 2), stride=(2, 3), padding=(1, 0)),
    dict(input_size=8, kernel_size=3, dilation=2, padding="full"),
    dict(input_size=6, kernel_size=4, padding="same"),
    dict(input_size=(5, 7), kernel_size=3, padding=((0, 2), (1, 1)), stride=2),
])
def test_conv_title_and_sizes_come_from_sizes(ax, kw):
    d = viz.draw_conv(**kw, ax=ax)
    n = np.broadcast_to(kw["input_size"], 2)
    k = np.broadcast_to(kw["kernel_size"], 2)
    s = np.broadcast_to(kw.get("stride", 1), 2)
    dil = np.broadcast_to(kw.get("dilation", 1), 2)
    pad = kw.get("padding", 0)
    specs = [pad] * 2 if isinstance(pad, (str, int)) else list(pad)
    expected = tuple(sizes.conv_output_size(int(a), int(b), int(c), p, int(e))
                     for a, b, c, p, e in zip(n, k, s, specs, dil))
    pads = tuple(sizes.resolve_padding(int(a), int(b), int(c), p, int(e))
                 for a, b, c, p, e in zip(n, k, s, specs, dil))
    assert d.out_size == expected and d.padding == pads
    title = d.title.get_text()
    for o in expected:
        assert re.search(rf"\+ 1 = {o}(\n|$)", title)
    assert n_cells(d.cells["output"]) == expected[0] * expected[1]
    (t, b), (l, r) = pads
    assert n_cells(d.cells["padding"]) == (n[0] + t + b) * (n[1] + l + r) - n[0] * n[1]
    assert n_cells(d.cells["input"]) == n[0] * n[1]
    assert f"output {expected[0]}×{expected[1]}" in [t.get_text() for t in d.ax.texts]


@pytest.mark.parametrize("padding", [0, 1, 2, (1, 2), ((0, 2), (3, 1)), "same", "full", "valid"])
def test_padding_cells_count(ax, padding):
    d = viz.draw_conv((5, 6), 3, stride=2, padding=padding, ax=ax)
    (t, b), (l, r) = d.padding
    assert n_cells(d.cells["padding"]) == (5 + t + b) * (6 + l + r) - 30
    label = [t.get_text() for t in d.ax.texts if t.get_text().startswith("input")][0]
    assert label.startswith("input 5×6, padding (")


@pytest.mark.parametrize("stride,dilation,padding", [(1, 1, 0), (2, 1, 1), (2, 2, 1), ((1, 3), (2, 1), "same"),
                                                     (3, 2, "full")])
def test_window_covers_the_cells_position_implies(ax, stride, dilation, padding):
    x = np.arange(7 * 8).reshape(7, 8) % 5
    w = np.arange(9).reshape(3, 3) - 4
    sh, sw = np.broadcast_to(stride, 2)
    dh, dw = np.broadcast_to(dilation, 2)
    ho, wo = viz.draw_conv(x=x, w=w, stride=stride, dilation=dilation, padding=padding, ax=ax).out_size
    z = F.conv2d(x[None, None], w[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
    for k in positions(ho * wo):
        p, q = divmod(k, wo)
        d = viz.draw_conv(x=x, w=w, stride=stride, dilation=dilation, padding=padding, position=k, ax=ax)
        assert d.position == (p, q)
        expected = [(q * sw + j * dw, p * sh + i * dh) for i in range(3) for j in range(3)]
        assert taps_xy(d) == expected
        assert all(r.get_width() == 1 and r.get_height() == 1 for r in d.window)
        box = d.window_box
        assert tuple(box.get_xy()) == (q * sw, p * sh)
        assert (box.get_width(), box.get_height()) == (2 * dw + 1, 2 * dh + 1)
        ox, oy = d.output_origin
        assert tuple(d.highlight.get_xy()) == (ox + q, oy + p)
        # canvas cell (y, x) is input (y - top, x - left): the conv2d index pS - P + iD
        (top, _), (left, _) = d.padding
        for (cx, cy), (i, j) in zip(expected, np.ndindex(3, 3)):
            assert (cy - top, cx - left) == (p * sh - top + i * dh, q * sw - left + j * dw)
            inside = 0 <= cy - top < 7 and 0 <= cx - left < 8
            assert d.input_texts[cy, cx] == (str(x[cy - top, cx - left]) if inside else "0")
        total, shown, n = caption_sum(d.caption.get_text())
        assert n == 9 and total == shown == z[p, q]


def test_bias_in_values_and_caption(ax):
    d = viz.draw_conv(x=IMAGE, w=FILTER, b=-1.5, stride=2, ax=ax, position=3)
    assert d.output_texts[1, 1] == "2.5"
    assert d.caption.get_text().endswith("+ (−1.5) (bias) = 2.5")


def test_large_kernel_caption_wraps_per_kernel_row(ax):
    rng = np.random.default_rng(0)
    d = viz.draw_conv(x=rng.integers(-2, 3, (7, 7)), w=rng.integers(-2, 3, (5, 5)), ax=ax, position=4)
    text = d.caption.get_text()
    assert text.count("\n") == 4
    total, shown, n = caption_sum(text)
    assert n == 25 and total == shown


def test_progress_leaves_later_outputs_empty(ax):
    d = viz.draw_conv(x=IMAGE, w=FILTER, ax=ax, position=(1, 1), progress=True)
    assert sorted(d.output_texts) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]


def test_no_values_without_arrays_and_with_show_values_false(ax):
    d = viz.draw_conv(5, 3, ax=ax)
    assert d.input_texts == d.output_texts == d.weight_texts == {} and d.caption.get_text() == ""
    d = viz.draw_conv(x=IMAGE, w=FILTER, ax=ax, show_values=False)
    assert d.input_texts == d.output_texts == {} and d.values == {}


def test_redrawing_into_one_axes_does_not_accumulate(ax):
    viz.draw_conv(x=IMAGE, w=FILTER, ax=ax)
    counts = (len(ax.patches), len(ax.collections), len(ax.texts))
    for k in range(1, 5):
        viz.draw_conv(x=IMAGE, w=FILTER, ax=ax, position=k)
    assert (len(ax.patches), len(ax.collections), len(ax.texts)) == counts


def test_inputs_from_arrays_and_sizes_agree(ax):
    a = viz.draw_conv(x=IMAGE, w=FILTER, stride=2, ax=ax).out_size
    assert a == viz.draw_conv(5, 3, stride=2, ax=ax).out_size
    assert viz.draw_conv(input_size=(5, 5), kernel_size=3, x=IMAGE, w=FILTER, ax=ax).out_size == (3, 3)


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------

def test_max_pool_lecture_slice(ax):
    d = viz.draw_pool(x=SLICE, kernel_size=2, position=(0, 1), ax=ax)
    assert d.output_texts == {(0, 0): "6", (0, 1): "8", (1, 0): "3", (1, 1): "4"}
    assert d.caption.get_text() == "y[0, 1] = max(2, 4, 7, 8) = 8"
    assert "⌊(4 + 0 + 0 − 2)/2⌋ + 1 = 2" in d.title.get_text()
    assert taps_xy(d) == [(2, 0), (3, 0), (2, 1), (3, 1)]


def test_mean_and_pnorm_pool(ax):
    d = viz.draw_pool(x=SLICE, kernel_size=2, mode="mean", ax=ax)
    assert d.output_texts == {(0, 0): "3.25", (0, 1): "5.25", (1, 0): "2", (1, 1): "2"}
    assert d.caption.get_text() == "y[0, 0] = (1 + 1 + 5 + 6)/4 = 3.25"
    d = viz.draw_pool(x=SLICE, kernel_size=2, mode="lp", p=5, ax=ax, position=1)
    # the lecture's p-norm example: 4.865, 6.614, 2.384, 3.164
    assert d.output_texts == {(0, 0): "4.87", (0, 1): "6.61", (1, 0): "2.38", (1, 1): "3.16"}
    assert d.caption.get_text().endswith(")/4)^(1/5) = 6.61")


def test_max_pool_padding_is_minus_infinity(ax):
    d = viz.draw_pool(x=SLICE, kernel_size=3, stride=2, padding=1, ax=ax)
    assert d.out_size == (sizes.pool_output_size(4, 3, 2, 1),) * 2 == (2, 2)
    assert n_cells(d.cells["padding"]) == 6 * 6 - 16
    assert d.input_texts[0, 0] == "−∞" and d.caption.get_text() == "y[0, 0] = max(−∞, −∞, −∞, −∞, 1, 1, −∞, 5, 6) = 6"
    y = F.max_pool2d(SLICE[None, None], 3, 2, 1)[0, 0]
    assert d.output_texts == {(i, j): str(int(v)) for (i, j), v in np.ndenumerate(y)}
    d = viz.draw_pool(x=SLICE, kernel_size=3, stride=2, padding=1, mode="mean", ax=ax)
    assert d.input_texts[0, 0] == "0" and d.caption.get_text().endswith(")/9 = 1.44")


def test_pool_stride_defaults_to_window(ax):
    d = viz.draw_pool(6, 3, ax=ax)
    assert d.stride == (3, 3) and d.out_size == (2, 2)


# ---------------------------------------------------------------------------
# Transposed convolution: fill in zeros, then convolve
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n,k,s", [(2, 3, 2), (3, 3, 2), (3, 2, 3), (4, 3, 1), (2, 4, 3)])
def test_transposed_zero_insertion_and_padding(ax, n, k, s):
    d = viz.draw_transposed_conv(n, k, stride=s, ax=ax)
    up = (n - 1) * s + 1
    originals = d.cells["input"].get_paths()
    inserted = d.cells["inserted"].get_paths()
    assert len(originals) == n * n and len(inserted) == up * up - n * n
    xs = {round(p.vertices[:, 0].min()) for p in [*originals, *inserted]}
    ys = {round(p.vertices[:, 1].min()) for p in [*originals, *inserted]}
    assert len(xs) == len(ys) == up                      # (n-1)s+1 cells along each side
    canvas = up + 2 * (k - 1)                            # padded by D(M-1) on each side
    assert n_cells(d.cells["padding"]) == canvas * canvas - up * up
    out = sizes.conv_transpose_output_size(n, k, s)
    assert d.out_size == (out, out)
    assert re.search(rf"\+ 1 = {out}$", d.title.get_text())


@pytest.mark.parametrize("kw", [
    dict(stride=2),
    dict(stride=2, padding=1),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=3, padding="same"),
    dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2)),
    dict(stride=2, padding=3),          # padding beyond D(M-1): crops the zero-inserted input
])
def test_transposed_scan_equals_conv_transpose2d(ax, kw):
    rng = np.random.default_rng(1)
    x, w = rng.integers(-3, 4, (3, 4)), rng.integers(-2, 3, (3, 3))
    z = F.conv_transpose2d(x[None, None], w[None, None], **kw)[0, 0]
    ho, wo = z.shape
    for k in positions(ho * wo):
        d = viz.draw_transposed_conv(x=x, w=w, **kw, position=k, ax=ax)
        p, q = d.position
        total, shown, n = caption_sum(d.caption.get_text())
        assert n == 9 and total == shown == z[p, q]
        # the window slides with stride 1 over the canvas, the kernel flipped
        assert [int(v[1:].replace("−", "-")) for v in d.weight_texts.values()] == list(w[::-1, ::-1].ravel())
    assert d.out_size == z.shape
    assert d.output_texts == {(i, j): str(int(v)).replace("-", "−") for (i, j), v in np.ndenumerate(z)}
    x0 = taps_xy(viz.draw_transposed_conv(x=x, w=w, **kw, position=(0, 0), ax=ax))[0]
    assert taps_xy(viz.draw_transposed_conv(x=x, w=w, **kw, position=(0, 1), ax=ax))[0] == (x0[0] + 1, x0[1])


def test_transposed_cropping_is_marked(ax):
    # P = 3 > D(M-1) = 2: one row/column of the 7x7 zero-inserted input is cropped on each side
    d = viz.draw_transposed_conv(4, 3, stride=2, padding=3, ax=ax)
    assert d.out_size == (sizes.conv_transpose_output_size(4, 3, 2, 3),) * 2 == (3, 3)
    assert n_cells(d.cells["padding"]) == 0
    assert n_cells(d.cells["cropped"]) == 7 * 7 - 5 * 5
    assert taps_xy(d)[0] == (1, 1)


# ---------------------------------------------------------------------------
# Animation
# ---------------------------------------------------------------------------

def frames(anim):
    return list(anim.new_frame_seq())


@pytest.mark.parametrize("kind,kw,n", [
    ("conv", dict(input_size=5, kernel_size=3, stride=2, padding=1), 9),
    ("pool", dict(x=SLICE, kernel_size=2), 4),
    ("transposed", dict(input_size=2, kernel_size=3, stride=2), 25),
])
def test_animation_has_one_frame_per_output(kind, kw, n):
    before = plt.get_fignums()
    anim = viz.animate_scan(kind, **kw)
    assert len(frames(anim)) == n
    assert plt.get_fignums() == before          # the animation's figure is not a pyplot figure
    discard(anim)


def test_jshtml_and_gif(tmp_path):
    from PIL import Image

    before = plt.get_fignums()
    rc = dict(matplotlib.rcParams)
    html = viz.scan_html("conv", x=IMAGE, w=FILTER, stride=2, interval=300)
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 4
    anim = viz.animate_scan("pool", x=SLICE, kernel_size=2, interval=200)
    path = tmp_path / "pool.gif"
    anim.save(path, writer="pillow", dpi=40)
    with Image.open(path) as im:
        assert im.n_frames == 4
    assert plt.get_fignums() == before
    assert dict(matplotlib.rcParams) == rc


def test_animation_frame_draws_with_the_draw_function():
    anim = viz.animate_scan("conv", x=IMAGE, w=FILTER, stride=2)
    anim._func(3)
    ax = anim._fig.axes[0]
    assert "z[1, 1] = " in [t for t in ax.texts if t.get_text().startswith("z[")][0].get_text()
    discard(anim)


def test_animation_into_given_figure():
    fig = plt.figure()
    anim = viz.animate_scan("conv", input_size=4, kernel_size=2, fig=fig)
    assert anim._fig is fig and len(frames(anim)) == 9
    discard(anim)


# ---------------------------------------------------------------------------
# Feature maps and filters
# ---------------------------------------------------------------------------

def test_plot_feature_maps_colour_scales():
    rng = np.random.default_rng(0)
    fig, axes, images = viz.plot_feature_maps(rng.standard_normal((5, 6, 6)), ncols=3)
    assert axes.shape == (2, 3) and len(images) == 5 and not axes[1, 2].get_visible()
    lo, hi = images[0].get_clim()
    assert images[0].get_cmap().name == "RdBu_r" and lo == -hi
    assert all(im.get_clim() == (lo, hi) for im in images)              # one shared scale
    fig, axes, images = viz.plot_feature_maps(rng.random((2, 4, 4)), titles=["a", "b"], shared_scale=False)
    assert images[0].get_cmap().name == "cividis" and axes[0, 1].get_title() == "b"
    assert images[0].get_clim() != images[1].get_clim()
    fig, axes, images = viz.plot_feature_maps(np.ones((3, 3)))         # one (H, W) map, constant
    assert len(images) == 1


def test_plot_filters_rgb_and_per_channel():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 5, 5))
    w[0] = 0
    fig, axes, images = viz.plot_filters(w)
    assert len(images) == 4 and images[0].get_array().shape == (5, 5, 3)
    assert np.allclose(images[0].get_array(), 0.5)                      # zero weights are mid-grey
    fig, axes, images = viz.plot_filters(rng.standard_normal((3, 2, 3, 3)))
    assert axes.shape == (3, 2) and len(images) == 6
    assert images[0].get_cmap().name == "RdBu_r" and images[0].get_clim()[0] == -images[0].get_clim()[1]
    fig, axes, images = viz.plot_filters(rng.random((6, 1, 5, 5)), ncols=3)
    assert axes.shape == (2, 3) and images[0].get_cmap().name == "cividis"
    fig, axes, images = viz.plot_filters(w, rgb=False)
    assert axes.shape == (4, 3)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("call,exc,match", [
    (lambda: viz.draw_conv(3, 5), ValueError, r"kernel 5 .*does not fit in the padded input 3"),
    (lambda: viz.draw_conv(5, 3, dilation=3), ValueError, r"dilation 3, span 7\) does not fit"),
    (lambda: viz.draw_conv(5, 3, stride=0), ValueError, r"draw_conv: stride must be .*, got 0"),
    (lambda: viz.draw_conv(5, 3, stride=1.5), TypeError, r"stride must be an integer, got 1.5"),
    (lambda: viz.draw_conv(5, 3, padding="half"), ValueError, r"padding .*got 'half'"),
    (lambda: viz.draw_conv(5, 3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: viz.draw_conv(5, 3, stride=2, position=(2, 0)), ValueError,
     r"position \(2, 0\) is outside the 2×2 output; row must be in 0..1 and col in 0..1"),
    (lambda: viz.draw_conv(5, 3, position=9), ValueError, r"scan-order index must be in 0..8"),
    (lambda: viz.draw_conv(5, 3, position="first"), TypeError, r"position must be \(row, col\)"),
    (lambda: viz.draw_conv(5, 3, position=(0, 0.5)), TypeError, r"position col must be an integer"),
    (lambda: viz.draw_conv(kernel_size=3), TypeError, r"input_size is required unless x is given"),
    (lambda: viz.draw_conv(4, x=IMAGE, w=FILTER), ValueError, r"input_size 4×4 does not match x.shape \(5, 5\)"),
    (lambda: viz.draw_conv(x=IMAGE[0], w=FILTER), ValueError, r"x must be a 2-D array"),
    (lambda: viz.draw_conv(x=IMAGE, w=FILTER, b="1"), TypeError, r"b must be a real number"),
    (lambda: viz.draw_pool(4, 2, mode="median"), ValueError, r"mode must be one of 'max', 'mean', 'lp', got 'median'"),
    (lambda: viz.draw_pool(4, 2, mode="lp", p=0.5), ValueError, r"p must be >= 1.0, got 0.5"),
    (lambda: viz.draw_pool(4, 2, mode="lp", padding=1), ValueError, r"takes no padding, got padding 1"),
    (lambda: viz.draw_pool(4, 2, padding=2), ValueError, r"leaves a window .* with no input element"),
    (lambda: viz.draw_transposed_conv(3, 3, stride=2, output_padding=2), ValueError,
     r"output_padding must be smaller than either stride or dilation"),
    (lambda: viz.draw_transposed_conv(3, 3, padding="full"), ValueError, r"'full' is not defined"),
    (lambda: viz.draw_transposed_conv(2, 1, padding=1), ValueError, r"crops away the whole output"),
    (lambda: viz.animate_scan("deconv", input_size=4, kernel_size=2), ValueError,
     r"kind must be one of 'conv', 'pool', 'transposed', got 'deconv'"),
    (lambda: viz.animate_scan("conv", input_size=4, kernel_size=2, position=1), TypeError,
     r"position is set for each frame"),
    (lambda: viz.animate_scan("pool", input_size=4, kernel_size=2, dilation=2), TypeError,
     r"animate_scan: .*dilation"),
    (lambda: viz.animate_scan("conv", input_size=3, kernel_size=4), ValueError, r"does not fit"),
    (lambda: viz.plot_feature_maps(np.ones((2, 3, 4, 5))), ValueError, r"maps must be a 3-D array"),
    (lambda: viz.plot_feature_maps(np.ones((2, 3, 3)), titles=["a"]), ValueError, r"one entry per map \(2\), got 1"),
    (lambda: viz.plot_filters(np.ones((2, 2, 3, 3)), rgb=True), ValueError, r"rgb=True needs 3 input channels"),
    (lambda: viz.plot_filters(np.ones((2, 3, 3)), rgb=True), ValueError, r"w must be a 4-D array"),
    (lambda: viz.plot_filters(np.ones((2, 3, 3, 3)), normalize="max"), ValueError, r"got 'max'"),
])
def test_bad_input_raises_with_clear_message(call, exc, match):
    before = plt.get_fignums()
    with pytest.raises(exc, match=match):
        call()
    assert plt.get_fignums() == before              # nothing created before the check failed


def test_no_global_state_changed():
    rc = dict(matplotlib.rcParams)
    viz.draw_conv(x=IMAGE, w=FILTER, padding="same")
    viz.draw_pool(x=SLICE, kernel_size=2, mode="mean")
    viz.draw_transposed_conv(x=[[1, 2], [3, 4]], w=FILTER, stride=2)
    viz.plot_feature_maps(np.ones((2, 3, 3)))
    viz.plot_filters(np.ones((2, 3, 3, 3)))
    discard(viz.animate_scan("conv", input_size=3, kernel_size=2))
    assert dict(matplotlib.rcParams) == rc


@pytest.mark.parametrize("module", ["drawing", "animation", "maps"])
def test_docstring_examples(module):
    import importlib

    result = doctest.testmod(importlib.import_module(f"cnnedu.viz.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 2
