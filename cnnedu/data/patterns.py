"""Small binary patterns for the neocognitron chapter.

Fukushima (1980) trained and tested the neocognitron on 16x16 binary images of
the digits "0" to "4", shifted, distorted and noisy.  This module draws such
stimuli: the bitmaps below are drawn by hand as ASCII art (``#`` = 1, ``.`` = 0),
and :func:`shift`, :func:`add_noise` and :func:`deform` make the variants.
:func:`make_bar` and :func:`make_shape` draw the oriented bars and simple
shapes that the first layers of the network respond to.

Every image is float32 with values 0.0 and 1.0, shape ``(16, 16)`` (or
``(N, 1, 16, 16)`` for a batch).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_image_array, check_choice, check_int, check_real, check_rng

__all__ = [
    "BITMAP_SIZE",
    "DIGIT_ART",
    "LETTER_ART",
    "BITMAPS",
    "BAR_ORIENTATIONS",
    "SHAPES",
    "bitmap",
    "bitmap_set",
    "make_bar",
    "make_shape",
    "shift",
    "add_noise",
    "deform",
    "make_bitmap_variants",
]

BITMAP_SIZE = 16

#: The digits "0"-"4" as 16x16 ASCII art.
DIGIT_ART: dict[str, str] = {
    "0": """
................
.....######.....
....########....
...###....###...
...##......##...
..##........##..
..##........##..
..##........##..
..##........##..
..##........##..
..##........##..
...##......##...
...###....###...
....########....
.....######.....
................
""",
    "1": """
................
.......##.......
......###.......
.....####.......
....##.##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.....######.....
.....######.....
................
""",
    "2": """
................
....#######.....
...#########....
..##.......##...
...........##...
...........##...
..........##....
.........##.....
........##......
.......##.......
......##........
.....##.........
....##..........
...###########..
...###########..
................
""",
    "3": """
................
...#########....
...##########...
...........##...
...........##...
...........##...
...........##...
.....#######....
.....#######....
...........##...
...........##...
...........##...
...........##...
...##########...
...#########....
................
""",
    "4": """
................
.........##.....
........###.....
.......####.....
......##.##.....
.....##..##.....
....##...##.....
...##....##.....
..##.....##.....
..############..
..############..
.........##.....
.........##.....
.........##.....
.........##.....
................
""",
}

#: A few letters as 16x16 ASCII art.
LETTER_ART: dict[str, str] = {
    "A": """
................
.......##.......
......####......
......####......
.....##..##.....
.....##..##.....
....##....##....
....##....##....
...##########...
...##########...
..##........##..
..##........##..
.##..........##.
.##..........##.
##............##
................
""",
    "T": """
................
..############..
..############..
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
.......##.......
................
""",
    "L": """
................
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##...........
...##########...
...##########...
................
""",
    "X": """
................
##............##
.##..........##.
..##........##..
...##......##...
....##....##....
.....##..##.....
......####......
.......##.......
......####......
.....##..##.....
....##....##....
...##......##...
..##........##..
.##..........##.
................
""",
}


def _parse_art(name: str, art: str) -> np.ndarray:
    rows = art.strip("\n").split("\n")
    if len(rows) != BITMAP_SIZE or any(len(r) != BITMAP_SIZE for r in rows) \
            or set("".join(rows)) - {".", "#"}:
        raise ValueError(f"bitmap {name!r} must be {BITMAP_SIZE} rows of {BITMAP_SIZE} '.'/'#' characters")
    image = np.array([[c == "#" for c in r] for r in rows], dtype=np.float32)
    image.flags.writeable = False
    return image


#: Character -> read-only float32 ``(16, 16)`` bitmap, for every character in
#: :data:`DIGIT_ART` and :data:`LETTER_ART`.
BITMAPS: dict[str, np.ndarray] = {
    name: _parse_art(name, art) for name, art in {**DIGIT_ART, **LETTER_ART}.items()
}

#: Orientations understood by :func:`make_bar`.
BAR_ORIENTATIONS = ("horizontal", "vertical", "diagonal", "antidiagonal")
#: Shapes understood by :func:`make_shape`.
SHAPES = ("square", "circle", "triangle", "plus", "diamond")


def bitmap(char: str) -> np.ndarray:
    """The hand-drawn 16x16 bitmap of a character.

    Parameters
    ----------
    char : str
        One of ``"0" .. "4"``, ``"A"``, ``"T"``, ``"L"``, ``"X"`` (the keys of :data:`BITMAPS`).

    Returns
    -------
    numpy.ndarray
        float32 ``(16, 16)`` of 0.0 and 1.0 (a writeable copy).

    Examples
    --------
    >>> b = bitmap("1")
    >>> b.shape, b.dtype, int(b.sum())
    ((16, 16), dtype('float32'), 41)
    """
    if isinstance(char, int) and not isinstance(char, bool) and 0 <= char <= 9:
        char = str(char)
    char = check_choice("bitmap", "char", char, BITMAPS)
    return BITMAPS[char].copy()


def bitmap_set(chars: str = "01234") -> tuple[np.ndarray, np.ndarray]:
    """Stack several bitmaps into a batch.

    Parameters
    ----------
    chars : str, optional
        Characters to include, e.g. ``"01234"`` (Fukushima's set) or ``"ATLX"``.

    Returns
    -------
    x : numpy.ndarray
        float32 ``(len(chars), 1, 16, 16)``.
    y : numpy.ndarray
        int64 ``(len(chars),)``: ``y[i] == i``, the index of the character in ``chars``.
    """
    chars = _check_chars("bitmap_set", chars)
    x = np.stack([BITMAPS[c] for c in chars])[:, None, :, :].copy()
    return x, np.arange(len(chars), dtype=np.int64)


def _check_chars(fn: str, chars) -> str:
    if not isinstance(chars, str):
        raise TypeError(f"{fn}: chars must be a string of characters from "
                        f"{''.join(BITMAPS)!r}, got {chars!r} ({type(chars).__name__})")
    unknown = sorted(set(chars) - set(BITMAPS))
    if not chars or unknown:
        raise ValueError(f"{fn}: chars must be a non-empty string of characters from "
                         f"{''.join(BITMAPS)!r}, got {chars!r}")
    return chars


def make_bar(orientation: str, size: int = BITMAP_SIZE, *, thickness: int = 1,
             length: int | None = None, offset: int = 0) -> np.ndarray:
    """A straight bar through the centre pixel ``(size // 2, size // 2)``.

    With ``dy = row - size // 2`` and ``dx = col - size // 2``, a pixel is on the bar
    when its distance coordinate ``d`` is in ``offset + [-(thickness - 1) // 2,
    thickness // 2]`` and its along coordinate ``a`` is in
    ``[-(length // 2), (length - 1) // 2]``, where

    ==============  ===========  ================
    orientation     ``d``        ``a``
    ==============  ===========  ================
    horizontal      ``dy``       ``dx``
    vertical        ``dx``       ``dy``
    diagonal (\\\\)   ``dy - dx``  ``(dy + dx) / 2``
    antidiagonal /  ``dy + dx``  ``(dx - dy) / 2``
    ==============  ===========  ================

    Parameters
    ----------
    orientation : {"horizontal", "vertical", "diagonal", "antidiagonal"}
        ``"diagonal"`` runs from top-left to bottom-right.
    size : int, optional
        Canvas height and width (>= 3).
    thickness : int, optional
        Width of the bar in pixels (>= 1).
    length : int, optional
        Number of pixels along the bar (>= 1); default: across the whole canvas.
    offset : int, optional
        Move the bar sideways by this many pixel rows/columns/diagonals.

    Returns
    -------
    numpy.ndarray
        float32 ``(size, size)`` of 0.0 and 1.0.

    Examples
    --------
    >>> int(make_bar("horizontal").sum()), int(make_bar("vertical", length=5).sum())
    (16, 5)
    """
    fn = "make_bar"
    orientation = check_choice(fn, "orientation", orientation, BAR_ORIENTATIONS)
    size = check_int(fn, "size", size, minimum=3)
    thickness = check_int(fn, "thickness", thickness, minimum=1)
    length = None if length is None else check_int(fn, "length", length, minimum=1)
    offset = check_int(fn, "offset", offset)
    dy, dx = np.mgrid[0:size, 0:size] - size // 2
    d, a = {
        "horizontal": (dy, dx),
        "vertical": (dx, dy),
        "diagonal": (dy - dx, (dy + dx) / 2),
        "antidiagonal": (dy + dx, (dx - dy) / 2),
    }[orientation]
    mask = (d >= offset - (thickness - 1) // 2) & (d <= offset + thickness // 2)
    if length is not None:
        mask &= (a >= -(length // 2)) & (a <= (length - 1) // 2)
    return mask.astype(np.float32)


def _segment_distance(py, px, a, b):
    """Distance from points (py, px) to the segment a-b (each a (y, x) pair)."""
    (ay, ax), (by, bx) = a, b
    vy, vx = by - ay, bx - ax
    t = np.clip(((py - ay) * vy + (px - ax) * vx) / (vy * vy + vx * vx), 0.0, 1.0)
    return np.hypot(py - (ay + t * vy), px - (ax + t * vx))


def make_shape(kind: str, size: int = BITMAP_SIZE) -> np.ndarray:
    """A simple outline shape, one pixel thick, centred on the canvas.

    Parameters
    ----------
    kind : {"square", "circle", "triangle", "plus", "diamond"}
        ``"square"``: the border of the square from pixel ``m`` to ``size - 1 - m``
        with ``m = size // 5``; ``"circle"``: pixels whose centre is within 0.5 of the
        circle of radius ``0.35 size`` around ``((size - 1) / 2, (size - 1) / 2)``;
        ``"triangle"``: within 0.5 of the edges of an upright isosceles triangle;
        ``"plus"``: a horizontal and a vertical bar of length ``size - 2 m``;
        ``"diamond"``: pixels with ``|dy| + |dx| == size // 2 - m`` around ``(size // 2, size // 2)``.
    size : int, optional
        Canvas height and width (>= 8).

    Returns
    -------
    numpy.ndarray
        float32 ``(size, size)`` of 0.0 and 1.0.

    Examples
    --------
    >>> int(make_shape("square").sum())
    36
    """
    fn = "make_shape"
    kind = check_choice(fn, "kind", kind, SHAPES)
    size = check_int(fn, "size", size, minimum=8)
    m = size // 5
    py, px = np.mgrid[0:size, 0:size].astype(np.float64)
    if kind == "square":
        inside = (py >= m) & (py <= size - 1 - m) & (px >= m) & (px <= size - 1 - m)
        interior = (py > m) & (py < size - 1 - m) & (px > m) & (px < size - 1 - m)
        mask = inside & ~interior
    elif kind == "circle":
        c = (size - 1) / 2
        mask = np.abs(np.hypot(py - c, px - c) - 0.35 * size) < 0.5
    elif kind == "triangle":
        c = (size - 1) / 2
        top, left, right = (m, c), (size - 1 - m, m), (size - 1 - m, size - 1 - m)
        dist = np.minimum.reduce([_segment_distance(py, px, *e)
                                  for e in ((top, left), (left, right), (right, top))])
        mask = dist < 0.5
    elif kind == "plus":
        mask = (make_bar("horizontal", size, length=size - 2 * m)
                + make_bar("vertical", size, length=size - 2 * m)) > 0
    else:  # diamond
        c = size // 2
        mask = (np.abs(py - c) + np.abs(px - c)) == (c - m)
    return mask.astype(np.float32)


def shift(images, dy: int, dx: int) -> np.ndarray:
    """Move images by whole pixels within the canvas; what leaves is lost, what enters is 0.

    ``out[..., r, c] = images[..., r - dy, c - dx]`` where that index is inside the
    image, else 0 (no wrap-around).  Positive ``dy`` moves down, positive ``dx`` right.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``, any real dtype (kept).
    dy, dx : int
        Shift in rows and columns, ``|dy| <= H``, ``|dx| <= W``.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``images``.

    Examples
    --------
    >>> shift(np.eye(3, dtype=np.float32), 0, 1)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    fn = "shift"
    x = as_image_array(fn, "images", images)
    h, w = x.shape[-2:]
    dy = check_int(fn, "dy", dy, -h, h)
    dx = check_int(fn, "dx", dx, -w, w)
    out = np.zeros_like(x)
    src_rows = slice(max(0, -dy), h - max(0, dy))
    dst_rows = slice(max(0, dy), h - max(0, -dy))
    src_cols = slice(max(0, -dx), w - max(0, dx))
    dst_cols = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_rows, dst_cols] = x[..., src_rows, src_cols]
    return out


def _check_binary(fn: str, x: np.ndarray) -> None:
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{fn}: images must be binary (every value 0 or 1), got values in "
                         f"[{x.min()}, {x.max()}] including non-binary ones")


def add_noise(images, rng, n_flips: int = 3) -> np.ndarray:
    """Flip exactly ``n_flips`` randomly chosen pixels of each binary image (0 <-> 1).

    Parameters
    ----------
    images : array_like
        Binary ``(H, W)`` or ``(N, C, H, W)``; each ``H x W`` plane gets its own flips.
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).
    n_flips : int, optional
        Pixels flipped per plane, ``0 <= n_flips <= H * W``.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; differs from ``images`` in exactly ``n_flips`` pixels
        per plane.

    Examples
    --------
    >>> noisy = add_noise(bitmap("2"), np.random.default_rng(0), n_flips=5)
    >>> int(np.sum(noisy != bitmap("2")))
    5
    """
    fn = "add_noise"
    x = as_image_array(fn, "images", images)
    rng = check_rng(fn, rng)
    h, w = x.shape[-2:]
    n_flips = check_int(fn, "n_flips", n_flips, 0, h * w)
    _check_binary(fn, x)
    planes = x.reshape(-1, h * w).copy()
    for plane in planes:
        idx = rng.choice(h * w, size=n_flips, replace=False)
        plane[idx] = 1 - plane[idx]
    return planes.reshape(x.shape)


def deform(images, rng, strength: float = 1.0, smoothness: float = 3.0) -> np.ndarray:
    """Bend binary images slightly with a smooth random displacement field.

    A displacement ``(u_y, u_x)`` is drawn for every pixel as white noise, blurred by
    a Gaussian of standard deviation ``smoothness`` pixels and each component rescaled
    so that ``max |u_y| = max |u_x| = strength``; then ``out(p) = [images(p + u(p)) >= 0.5]`` with bilinear
    interpolation and zero outside (an "elastic distortion", Simard et al. 2003).

    Parameters
    ----------
    images : array_like
        Binary ``(H, W)`` or ``(N, C, H, W)``; all channels of an image share its field.
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).
    strength : float, optional
        Largest displacement in pixels, ``0 <= strength <= 4``.  Around 1 keeps the
        2-pixel strokes of :data:`BITMAPS` connected.
    smoothness : float, optional
        Gaussian blur of the field in pixels (> 0); larger means gentler bends.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype, values 0 and 1.
    """
    from scipy.ndimage import gaussian_filter, map_coordinates

    fn = "deform"
    x = as_image_array(fn, "images", images)
    rng = check_rng(fn, rng)
    strength = check_real(fn, "strength", strength, 0.0, 4.0)
    smoothness = check_real(fn, "smoothness", smoothness, 0.0, strict_minimum=True)
    _check_binary(fn, x)
    h, w = x.shape[-2:]
    batch = x.reshape(-1, x.shape[-3] if x.ndim == 4 else 1, h, w)
    out = np.empty(batch.shape, dtype=x.dtype)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    for i, image in enumerate(batch):
        field = gaussian_filter(rng.standard_normal((2, h, w)), sigma=(0, smoothness, smoothness),
                                mode="nearest")
        peak = np.abs(field).max(axis=(1, 2), keepdims=True)
        field *= np.divide(strength, peak, out=np.zeros_like(peak), where=peak > 0)
        coords = np.stack([grid_y + field[0], grid_x + field[1]])
        for ch, plane in enumerate(image):
            warped = map_coordinates(plane.astype(np.float64), coords, order=1,
                                     mode="grid-constant", cval=0.0)
            out[i, ch] = warped >= 0.5
    return out.reshape(x.shape)


def make_bitmap_variants(chars: str, n_per_class: int, rng, *, max_shift: int = 2,
                         n_flips: int = 0, strength: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Random variants of bitmaps: deformed, then shifted, then noisy.

    Parameters
    ----------
    chars : str
        Characters from :data:`BITMAPS`, e.g. ``"01234"``.
    n_per_class : int
        Variants per character (>= 1).
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).
    max_shift : int, optional
        ``dy`` and ``dx`` are uniform integers in ``[-max_shift, max_shift]`` (0 to 8).
    n_flips : int, optional
        Pixels flipped per image by :func:`add_noise`.
    strength : float, optional
        :func:`deform` strength; 0 means no deformation.

    Returns
    -------
    x : numpy.ndarray
        float32 ``(len(chars) * n_per_class, 1, 16, 16)``; image ``i`` shows
        ``chars[i % len(chars)]``.
    y : numpy.ndarray
        int64 labels, ``y[i] == i % len(chars)``.

    Examples
    --------
    >>> x, y = make_bitmap_variants("01234", 3, np.random.default_rng(0), n_flips=2)
    >>> x.shape, y[:6].tolist()
    ((15, 1, 16, 16), [0, 1, 2, 3, 4, 0])
    """
    fn = "make_bitmap_variants"
    chars = _check_chars(fn, chars)
    n_per_class = check_int(fn, "n_per_class", n_per_class, minimum=1)
    rng = check_rng(fn, rng)
    max_shift = check_int(fn, "max_shift", max_shift, 0, BITMAP_SIZE // 2)
    n_flips = check_int(fn, "n_flips", n_flips, 0, BITMAP_SIZE * BITMAP_SIZE)
    strength = check_real(fn, "strength", strength, 0.0, 4.0)
    base, _ = bitmap_set(chars)
    k = len(chars)
    x = np.tile(base, (n_per_class, 1, 1, 1))
    y = np.tile(np.arange(k, dtype=np.int64), n_per_class)
    if strength > 0:
        x = deform(x, rng, strength=strength)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
    for i, (dy, dx) in enumerate(shifts):
        x[i] = shift(x[i, 0], int(dy), int(dx))[None]
    if n_flips:
        x = add_noise(x, rng, n_flips=n_flips)
    return x, y
