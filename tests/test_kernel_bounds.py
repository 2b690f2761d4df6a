"""The Numba kernels never index outside their arrays, for any valid geometry.

Numba does not bounds-check compiled code by default, so an index error there
corrupts memory silently.  These tests run the kernels in a fresh process with
``NUMBA_BOUNDSCHECK=1`` (and an empty cache, so nothing compiled without the
checks is reused), where an out-of-bounds index raises ``IndexError`` instead.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import itertools
    import numpy as np
    import cnnedu.functional as F

    rng = np.random.default_rng(0)
    count = 0
    # Extreme paddings, strides and dilations around tiny inputs: the geometries
    # where valid-range arithmetic goes wrong (padding wider than the outputs it covers).
    for w_in, k, s, d, lo, hi in itertools.product((1, 2, 5), (1, 3), (1, 2, 4), (1, 2), (0, 1, 5), (0, 2, 6)):
        span = d * (k - 1) + 1
        if w_in + lo + hi < span:
            continue
        x = rng.standard_normal((2, 2, 3, w_in))
        w = rng.standard_normal((2, 1, 2, k))
        kw = dict(stride=(1, s), padding=((1, 0), (lo, hi)), dilation=(1, d), groups=2)
        z = F.conv2d(x, w, **kw)
        F.conv2d_backward(np.ones_like(z), x, w, **kw)
        xt = rng.standard_normal((2, 2, 3, w_in))
        for op in range(max(s, d)):
            try:
                zt = F.conv_transpose2d(xt, w, stride=(1, s), padding=(0, lo), output_padding=(0, op), dilation=(1, d))
            except ValueError:
                continue
            F.conv_transpose2d_backward(np.ones_like(zt), xt, w, stride=(1, s), padding=(0, lo),
                                        output_padding=(0, op), dilation=(1, d))
        if k <= w_in + lo + hi and lo < k and hi < k:
            for pool in (F.max_pool2d, F.avg_pool2d):
                try:
                    y = pool(x, (1, k), stride=(1, s), padding=((0, 0), (lo, hi)))
                except ValueError:
                    continue
                back = F.max_pool2d_backward if pool is F.max_pool2d else F.avg_pool2d_backward
                back(np.ones_like(y), x, (1, k), stride=(1, s), padding=((0, 0), (lo, hi)))
        count += 1
    print("checked", count)
    """
)


def test_kernels_stay_in_bounds(tmp_path):
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.split()[-1]) > 100
