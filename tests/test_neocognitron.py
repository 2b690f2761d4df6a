"""Tests for cnnedu.neocognitron: the cell equations, the layers, the learning rule,
and Fukushima's (1980) experiment (trained once, in a module-scoped fixture)."""

import numpy as np
import pytest

from cnnedu import neocognitron as N
from cnnedu import sizes
from cnnedu.data.patterns import add_noise, bitmap, bitmap_set, deform, shift

DIGITS = "01234"


# ---------------------------------------------------------------------------
# The cells, hand-computed
# ---------------------------------------------------------------------------

def test_phi_is_a_relu():
    np.testing.assert_array_equal(N.phi([-3.0, -0.0, 0.0, 0.5, 7.0]), [0.0, 0.0, 0.0, 0.5, 7.0])


def test_psi_is_x_over_alpha_plus_x_for_positive_x_and_zero_otherwise():
    alpha = 0.5
    x = np.array([0.1, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(N.psi(x, alpha), x / (alpha + x))
    assert N.psi(0.5, alpha) == pytest.approx(0.5)               # half-way at x = alpha
    # x <= 0 gives 0, also below -alpha where x / (alpha + x) would be positive again
    np.testing.assert_array_equal(N.psi([-5.0, -1.0, -0.5, -0.1, 0.0], alpha), 0.0)


def test_psi_saturates_at_one():
    x = np.logspace(-3, 12, 50)
    y = N.psi(x, 0.5)
    assert np.all(np.diff(y) > 0) and np.all(y < 1)
    assert y[-1] == pytest.approx(1.0, abs=1e-9)


def test_v_c_cell_is_the_weighted_root_mean_square():
    rng = np.random.default_rng(0)
    u = rng.random((2, 3, 3))                  # 2 planes, a 3x3 area
    c = rng.random((3, 3))
    expected = np.sqrt(sum(c[i, j] * u[k, i, j] ** 2 for k in range(2) for i in range(3) for j in range(3)))
    assert N.v_c_cell(u, c) == pytest.approx(expected)
    # with c normalised over planes and area (Fukushima's c), a constant input x has RMS x
    c1 = N.area_weights(3, 0.9, normalize_planes=2)
    assert N.v_c_cell(np.full((2, 3, 3), 0.7), c1) == pytest.approx(0.7)
    # many positions at once
    assert N.v_c_cell(np.stack([u, 2 * u]), c).shape == (2,)


def test_s_cell_without_inhibition_is_r_phi_of_the_excitation():
    rng = np.random.default_rng(1)
    u = rng.random((3, 5, 5))
    a = rng.random((4, 3, 5, 5)) * 0.1
    c = N.area_weights(5, 0.9, normalize_planes=3)
    r = 4.0
    e = np.einsum("kij,okij->o", u, a)
    np.testing.assert_allclose(N.s_cell(u, a, np.zeros(4), r, c), r * np.maximum(e, 0))
    # one plane (3-D a, scalar b): 2 * (0.5 * 1 + 0.25 * 2) = 2
    assert N.s_cell([[[1.0, 2.0]]], [[[0.5, 0.25]]], 0.0, 2.0, [[0.5, 0.5]]) == pytest.approx(2.0)


def test_s_cell_is_zero_when_the_inhibition_equals_the_excitation():
    rng = np.random.default_rng(2)
    u = rng.random((1, 3, 3))
    a = rng.random((1, 3, 3))
    c = N.area_weights(3, 0.8, normalize_planes=1)
    r = 1.5
    e = float(np.sum(a * u))
    v = float(N.v_c_cell(u, c))
    b_balance = e / (2 * r / (1 + r) * v)            # (2r/(1+r)) b v = e: the ratio is exactly 1
    assert N.s_cell(u, a, b_balance, r, c) == pytest.approx(0.0, abs=1e-12)
    assert N.s_cell(u, a, 1.5 * b_balance, r, c) == 0.0          # more inhibition: still 0
    assert N.s_cell(u, a, 0.5 * b_balance, r, c) > 0.0           # less: the cell fires


def test_s_cell_trained_on_a_pattern_responds_to_it_and_not_to_a_different_one():
    # after one reinforcement by x: a = q c x, b = (q/2) v(x)
    c = N.area_weights(3, 0.9, normalize_planes=1)
    x = np.zeros((1, 3, 3)); x[0, :, 1] = 1.0                      # a vertical bar
    y = np.zeros((1, 3, 3)); y[0, 1, 0] = y[0, 1, 2] = 1.0         # disjoint from x
    q, r = 16.0, 4.0
    a, b = q * c * x, q / 2 * N.v_c_cell(x, c)
    v2 = float(np.sum(c * x * x))
    theta = r / (1 + r)
    expected = r * ((1 + q * v2) / (1 + theta * q * v2) - 1)        # hand formula
    assert N.s_cell(x, a, b, r, c) == pytest.approx(expected)
    assert N.s_cell(y, a, b, r, c) == 0.0


def test_v_s_cell_and_c_cell_hand_case():
    u = np.array([[[1.0, 0.0]], [[0.0, 0.0]]])       # two planes, a 1x2 area
    d = np.array([[0.5, 0.5]])
    assert N.v_s_cell(u, d) == pytest.approx(0.25)       # (0.5 * 1 + 0) / 2
    # plane 0: psi((1 + 0.5) / (1 + 0.25) - 1) = psi(0.2) = 0.2 / 0.7; plane 1: psi(1 / 1.25 - 1) = 0
    np.testing.assert_allclose(N.c_cell(u, d, alpha=0.5), [0.2 / 0.7, 0.0])


def test_c_cell_is_silent_when_every_plane_is_equally_active():
    u = np.full((3, 2, 2), 0.8)
    np.testing.assert_allclose(N.c_cell(u, np.ones((2, 2))), 0.0, atol=1e-15)


def test_area_weights_decrease_from_the_centre():
    w = N.area_weights(5, 0.8)
    assert w[2, 2] == 1.0 and w.argmax() == 12
    assert w[2, 2] > w[2, 3] > w[2, 4] and w[2, 3] > w[3, 3] > w[4, 4]
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(w, w[::-1, ::-1])
    np.testing.assert_allclose(N.area_weights(2, 0.8), np.full((2, 2), 0.8 ** np.sqrt(0.5)))
    assert N.area_weights(5, 0.9, normalize_planes=24).sum() * 24 == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# Layers: the vectorised layers against cell-by-cell loops
# ---------------------------------------------------------------------------

def _pad(u, lo, hi):
    return np.pad(u, ((0, 0), (lo, hi), (lo, hi)))


def test_s_layer_equals_the_s_cell_applied_at_every_position():
    rng = np.random.default_rng(3)
    layer = N.SLayer(2, 3, area=3, r=1.5, q=16.0, padding=(1, 2), stride=2, rng=4)
    layer.a = rng.random(layer.a.shape) * 0.2
    layer.b = rng.random(3)
    u = rng.random((2, 7, 7))
    out, v = layer.forward(u, return_v_c=True)
    n_out = sizes.conv_output_size(7, 3, 2, (1, 2))
    assert out.shape == (3, n_out, n_out) and v.shape == (n_out, n_out)
    up = _pad(u, 1, 2)
    for i in range(n_out):
        for j in range(n_out):
            window = up[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            np.testing.assert_allclose(out[:, i, j], N.s_cell(window, layer.a, layer.b, layer.r, layer.c))
            assert v[i, j] == pytest.approx(N.v_c_cell(window, layer.c))


def test_c_layer_equals_the_c_cell_applied_at_every_position():
    rng = np.random.default_rng(5)
    layer = N.CLayer(4, area=5, padding=(3, 4), stride=2, alpha=0.5, gamma_d=0.8)
    u = rng.random((4, 16, 16)) * (rng.random((4, 16, 16)) < 0.2)
    out = layer.forward(u)
    assert out.shape == (4, 10, 10)
    up = _pad(u, 3, 4)
    for i in range(10):
        for j in range(10):
            np.testing.assert_allclose(out[:, i, j], N.c_cell(up[:, 2 * i:2 * i + 5, 2 * j:2 * j + 5], layer.d))


def test_fukushima_1980_layer_sizes_exactly_as_configured():
    net = N.Neocognitron.fukushima_1980(rng=0)
    expected = [(24, 16, 16), (24, 10, 10), (24, 8, 8), (24, 6, 6), (24, 2, 2), (24, 1, 1)]
    assert net.layer_names == ["US1", "UC1", "US2", "UC2", "US3", "UC3"]
    assert net.shapes == expected
    assert [o.shape for o in net.forward(bitmap("2"))] == expected
    # the same sizes from cnnedu.sizes, layer by layer
    n, got = 16, []
    for s, c in zip(net.s_layers, net.c_layers):
        n = sizes.conv_output_size(n, s.area, s.stride, s.padding)
        got.append(n)
        n = sizes.conv_output_size(n, c.area, c.stride, c.padding)
        got.append(n)
    assert got == [16, 10, 8, 6, 2, 1]
    assert [(s.r, s.q) for s in net.s_layers] == [(4.0, 1.0), (1.5, 16.0), (1.5, 16.0)]
    assert [s.area for s in net.s_layers] == [5, 5, 5] and [c.area for c in net.c_layers] == [5, 5, 2]
    assert all(c.alpha == 0.5 for c in net.c_layers)
    lines = N.layer_sizes(net)
    assert lines[2].startswith("UC1  10x10x24") and lines[2].endswith("(16 + 7 - 5) // 2 + 1 = 10")


def test_uc1_areas_cover_every_us1_cell():
    covered = np.zeros(16, dtype=bool)
    for i in range(10):                       # UC1 cell i reads US1 columns 2i - 3 .. 2i + 1
        lo, hi = max(0, 2 * i - 3), min(16, 2 * i + 2)
        covered[lo:hi] = True
    assert covered.all()


# ---------------------------------------------------------------------------
# The learning rule
# ---------------------------------------------------------------------------

def test_find_representatives_one_per_plane_from_the_column_maxima():
    u = np.zeros((3, 2, 2))
    u[0, 0, 0] = 1.0       # column (0,0): plane 0 wins
    u[0, 1, 1] = 3.0       # column (1,1): plane 0 wins (beats plane 1's 2.0) and is plane 0's best
    u[1, 1, 1] = 2.0
    u[2, 0, 1] = 0.5       # column (0,1): plane 2 wins; column (1,0) is silent
    planes, rows, cols = N.find_representatives(u)
    assert planes.tolist() == [0, 2] and rows.tolist() == [1, 0] and cols.tolist() == [1, 1]
    assert [a.size for a in N.find_representatives(np.zeros((4, 3, 3)))] == [0, 0, 0]
    # a column spanning the whole layer: a single representative
    planes, rows, cols = N.find_representatives(u, column=3)
    assert planes.tolist() == [0] and (rows[0], cols[0]) == (1, 1)


def _trained_first_layer():
    layer = N.SLayer(1, 6, area=5, r=4.0, q=1.0, padding=2, rng=0)
    for ch in "01":                             # give the planes some history (b > 0)
        layer.learn(bitmap(ch)[None])
    return layer


def test_reinforce_adds_q_c_u_to_the_winning_plane_and_leaves_the_others():
    layer = _trained_first_layer()
    u = shift(bitmap("3"), 1, 0)[None].astype(np.float64)
    a0, b0 = layer.a.copy(), layer.b.copy()
    _, v = layer.forward(u, return_v_c=True)
    k, n = 4, (6, 9)
    layer.reinforce(u, [k], [n[0]], [n[1]])
    patch = np.pad(u, ((0, 0), (2, 2), (2, 2)))[:, n[0]:n[0] + 5, n[1]:n[1] + 5]   # u(k', n + v)
    np.testing.assert_allclose(layer.a[k] - a0[k], layer.q * layer.c * patch)
    assert layer.b[k] - b0[k] == pytest.approx(layer.q / 2 * v[n])
    others = [i for i in range(6) if i != k]
    np.testing.assert_array_equal(layer.a[others], a0[others])
    np.testing.assert_array_equal(layer.b[others], b0[others])


def test_learn_reinforces_exactly_the_representatives():
    layer = _trained_first_layer()
    u = bitmap("4")[None].astype(np.float64)
    expected = N.find_representatives(layer.forward(u))
    a0, b0, count0 = layer.a.copy(), layer.b.copy(), layer.reinforcements.copy()
    planes, rows, cols = layer.learn(u)
    assert planes.tolist() == expected[0].tolist()
    assert planes.size > 0
    changed = np.flatnonzero(np.any(layer.a != a0, axis=(1, 2, 3)) | (layer.b != b0))
    assert changed.tolist() == planes.tolist()
    np.testing.assert_array_equal(layer.reinforcements - count0, np.isin(np.arange(6), planes))


def test_the_update_is_shared_by_the_whole_plane():
    """Reinforcing the representative changes every cell of its plane alike: after
    learning a feature at one position, the plane answers it equally at any position."""
    layer = N.SLayer(1, 4, area=5, r=4.0, q=1.0, padding=2, rng=1)
    image = np.zeros((16, 16))
    image[3:8, 4] = 1.0; image[3, 4:8] = 1.0                     # a corner
    for _ in range(5):
        planes, rows, cols = layer.learn(image[None])
    k, n = planes[0], (rows[0], cols[0])
    for dy, dx in [(6, 5), (8, 0), (2, 7)]:
        moved = layer.forward(shift(image, dy, dx)[None])
        assert moved[k, n[0] + dy, n[1] + dx] == pytest.approx(layer.forward(image[None])[k][n])
    assert layer.forward(image[None])[k][n] > 0.3


def test_untrained_planes_join_one_at_a_time_with_per_plane_gains():
    first = N.SLayer(1, 24, area=5, r=4.0, q=1.0, padding=2, init="plane", rng=0)
    assert first.learn(bitmap("0")[None])[0].size == 1
    per_weight = N.SLayer(1, 24, area=5, r=4.0, q=1.0, padding=2, init="weight", rng=0)
    assert per_weight.learn(bitmap("0")[None])[0].size > 5        # the first pattern grabs many


def test_initial_state():
    layer = N.SLayer(3, 5, area=5, r=1.5, q=16.0, init_scale=0.03, rng=0)
    assert np.all(layer.b == 0) and np.all(layer.a > 0) and layer.a.max() <= 0.03 * layer.c.max()
    np.testing.assert_allclose(layer.a[:, 0] / layer.c, layer.a[:, 2] / layer.c)   # a plane = gain * c


# ---------------------------------------------------------------------------
# Fukushima's 1980 experiment
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    return N.train_fukushima_1980(rng=0, presentations=20)


def _same_cell_rate(network, variants_by_digit, winners):
    hits = [N.winning_cells(network, v) == winners[ch] for ch, v in variants_by_digit.items()]
    return float(np.mean(np.concatenate(hits)))


def test_training_is_unsupervised_layer_by_layer_and_fast(trained):
    network, report = trained
    assert report.presentations == 20 and report.chars == DIGITS
    # every layer was trained: 20 presentations x 5 digits, at least one representative each
    assert all(r.sum() >= 100 for r in report.reinforcements)
    assert report.planes_used[0] == 24 and report.planes_used[1] == 24
    assert 5 <= report.planes_used[2] <= 24
    assert report.seconds < 20.0
    assert "all different" in str(report)


def test_each_digit_drives_its_own_uc3_cell(trained):
    network, report = trained
    x, _ = bitmap_set(DIGITS)
    winners = N.winning_cells(network, x)
    assert len(set(winners.tolist())) == 5 and -1 not in winners
    assert [report.winners[ch] for ch in DIGITS] == winners.tolist()
    assert report.distinct
    for ch, w in zip(DIGITS, winners):          # and the winner is clearly ahead of the rest
        out = report.responses[ch]
        assert out[w] > 0.3 and out[w] > 1.5 * np.sort(out)[-2]


def test_shifted_digits_drive_the_same_cell(trained):
    network, report = trained
    offsets = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if max(abs(dy), abs(dx)) >= 1]
    variants = {ch: np.stack([shift(bitmap(ch), dy, dx) for dy, dx in offsets]) for ch in DIGITS}
    assert _same_cell_rate(network, variants, report.winners) >= 0.8
    one_pixel = {ch: np.stack([shift(bitmap(ch), dy, dx) for dy, dx in offsets if max(abs(dy), abs(dx)) == 1])
                 for ch in DIGITS}
    assert _same_cell_rate(network, one_pixel, report.winners) >= 0.9


def test_noisy_digits_drive_the_same_cell(trained):
    network, report = trained
    rng = np.random.default_rng(11)
    variants = {ch: np.stack([add_noise(bitmap(ch), rng, n_flips=3) for _ in range(20)]) for ch in DIGITS}
    assert _same_cell_rate(network, variants, report.winners) >= 0.8


def test_deformed_digits_drive_the_same_cell(trained):
    network, report = trained
    rng = np.random.default_rng(12)
    variants = {ch: np.stack([deform(bitmap(ch), rng, strength=1.0) for _ in range(20)]) for ch in DIGITS}
    assert _same_cell_rate(network, variants, report.winners) >= 0.8


def test_robustness_summary(trained):
    network, _ = trained
    rates = N.robustness(network, rng=13, n_variants=10)
    assert set(rates) == {"shift", "noise", "deform", "all"}
    assert min(rates.values()) >= 0.8


def test_simplified_forward_relu_and_max_pooling(trained):
    network, report = trained
    outs = N.simplified_forward(network, bitmap("3"))
    assert [o.shape for o in outs] == network.shapes
    assert all(np.all(o >= 0) for o in outs)
    agree = [int(N.simplified_forward(network, bitmap(ch))[-1].argmax()) == report.winners[ch] for ch in DIGITS]
    assert sum(agree) >= 4


# ---------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------

def _net():
    return N.Neocognitron.fukushima_1980(rng=0)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: N.psi(1.0, alpha=0.0), ValueError, "alpha"),
    (lambda: N.psi(1.0, alpha="a"), TypeError, "alpha"),
    (lambda: N.area_weights(0, 0.5), ValueError, "size"),
    (lambda: N.area_weights(3, 1.5), ValueError, "gamma"),
    (lambda: N.v_c_cell(np.ones((1, 2, 2)), np.ones((3, 3))), ValueError, "c must have the shape"),
    (lambda: N.s_cell(np.ones((1, 2, 2)), np.ones((1, 3, 3)), 0.0, 1.0, np.ones((2, 2))), ValueError, "a must"),
    (lambda: N.s_cell(np.ones((1, 2, 2)), np.ones((1, 2, 2)), 0.0, -1.0, np.ones((2, 2))), ValueError, "r must"),
    (lambda: N.c_cell(np.ones((2, 2)), np.ones((2, 2))), ValueError, "u_s"),
    (lambda: N.find_representatives(np.ones((3, 3))), ValueError, "u_s"),
    (lambda: N.find_representatives(np.ones((1, 3, 3)), column=2), ValueError, "column"),
    (lambda: N.SLayer(1, 4, 5, r=0.0, q=1.0), ValueError, "r must"),
    (lambda: N.SLayer(1, 4, 5, r=1.0, q=1.0, init="zeros"), ValueError, "init"),
    (lambda: N.SLayer(1, 4.0, 5, r=1.0, q=1.0), TypeError, "planes"),
    (lambda: N.SLayer(1, 4, 5, r=1.0, q=1.0, padding=(1, 2, 3)), ValueError, "padding"),
    (lambda: N.SLayer(1, 4, 5, r=1.0, q=1.0).forward(np.ones((2, 8, 8))), ValueError, "planes"),
    (lambda: N.SLayer(1, 4, 5, r=1.0, q=1.0).forward(np.ones((1, 3, 3))), ValueError, "kernel"),
    (lambda: N.SLayer(1, 4, 3, r=1.0, q=1.0).reinforce(np.ones((1, 5, 5)), [0, 0], [0, 1], [0, 1]),
     ValueError, "planes"),
    (lambda: N.SLayer(1, 4, 3, r=1.0, q=1.0).reinforce(np.ones((1, 5, 5)), [0], [9], [0]), ValueError, "rows"),
    (lambda: N.CLayer(4, 5, alpha=-1.0), ValueError, "alpha"),
    (lambda: N.CLayer(4, 5).forward(np.ones((3, 8, 8))), ValueError, "planes"),
    (lambda: N.Neocognitron([], []), ValueError, "s_layers"),
    (lambda: N.Neocognitron([N.CLayer(1, 2)], [N.CLayer(1, 2)]), TypeError, "s_layers"),
    (lambda: N.Neocognitron.fukushima_1980(rng="seed"), TypeError, "rng"),
    (lambda: N.Neocognitron.fukushima_1980(columns=(1, 1)), ValueError, "columns"),
    (lambda: _net().forward(np.ones((12, 12))), ValueError, "image"),
    (lambda: _net().forward(np.ones((2, 16, 16))), ValueError, "image"),
    (lambda: _net().learn(np.ones((16, 16)), layer=4), ValueError, "layer"),
    (lambda: N.train_fukushima_1980(rng=0, presentations=0), ValueError, "presentations"),
    (lambda: N.train_fukushima_1980(rng=-1), ValueError, "rng"),
    (lambda: N.train_fukushima_1980(rng=0, chars="09"), ValueError, "chars"),
    (lambda: N.train_fukushima_1980(rng=0, max_shift=9), ValueError, "max_shift"),
    (lambda: N.winning_cells("net", np.ones((16, 16))), TypeError, "network"),
    (lambda: N.winning_cells(_net(), np.ones((2, 3, 16, 16))), ValueError, "images"),
    (lambda: N.robustness(_net(), n_variants=0), ValueError, "n_variants"),
    (lambda: N.simplified_forward(None, np.ones((16, 16))), TypeError, "network"),
    (lambda: N.layer_sizes("net"), TypeError, "network"),
])
def test_bad_arguments_raise_naming_the_argument(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds_also_give_each_digit_its_own_cell(seed):
    network, report = N.train_fukushima_1980(rng=np.random.default_rng(seed))
    assert report.distinct
    one_pixel = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    variants = {ch: np.stack([shift(bitmap(ch), dy, dx) for dy, dx in one_pixel]) for ch in DIGITS}
    assert _same_cell_rate(network, variants, report.winners) >= 0.8
