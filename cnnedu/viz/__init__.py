r"""Figures of convolution arithmetic, drawn from code so they cannot drift from the maths.

Each figure shows one setting of the knobs (input size, kernel size, stride,
padding, dilation) and one position of the window; change one knob, draw again,
and watch what moves.  Every size and padding in a figure comes from
:mod:`cnnedu.sizes` and every value from :mod:`cnnedu.functional`, the same code
the rest of the book runs.

* :func:`draw_conv`: the padded input, the (dilated) kernel window and the output,
  with the arithmetic of the highlighted output cell.
* :func:`draw_pool`: the same for max, mean and p-norm pooling.
* :func:`draw_transposed_conv`: a transposed convolution as the lecture does it,
  "fill in zeros, then convolve": the zero-inserted, padded input that a stride-1
  convolution with the flipped kernel scans.
* :func:`animate_scan` / :func:`scan_html`: the window stepping over every output
  position, for a notebook (``HTML(anim.to_jshtml())``) or a GIF
  (``anim.save("scan.gif", writer="pillow")``).
* :func:`plot_feature_maps`, :func:`plot_filters`: grids of maps and filters.
* :func:`plot_boxes`: images with their true and predicted bounding boxes.

The package uses matplotlib only, never changes ``rcParams`` and never calls
``plt.show()``.  Colours are the Okabe--Ito palette (distinguishable with every
common colour-vision deficiency); padding is also hatched and inserted zeros
dotted, so no cell kind is told apart by colour alone.  Values use ``cividis``,
or ``RdBu_r`` centred at 0 for signed data.

Conventions are those of :func:`cnnedu.functional.conv2d`: sizes are ints or
``(h, w)`` pairs, and ``padding`` is an int, a pair ``(p_h, p_w)``, explicit pairs
``((top, bottom), (left, right))``, ``"valid"``, ``"same"`` or ``"full"``
(``"full"`` for convolution only).  Positions are ``(row, col)`` of the output,
or one int counting output cells in scan order (row by row), handy for a slider.

Modules: :mod:`.drawing` (the three drawings), :mod:`.animation`, :mod:`.maps`
(feature maps and filters), :mod:`.colors` (the palette); ``_scan`` computes
what a drawing shows (geometry, values, captions) without drawing anything.
"""

from .animation import animate_scan, scan_html
from .boxes import plot_boxes
from .colors import (BLACK, BLUE, BLUISH_GREEN, DIVERGING_CMAP, GREY, OKABE_ITO, ORANGE, REDDISH_PURPLE,
                     SEQUENTIAL_CMAP, SKY_BLUE, VERMILLION, YELLOW)
from .drawing import ScanDrawing, draw_conv, draw_pool, draw_transposed_conv
from .maps import plot_feature_maps, plot_filters

__all__ = [
    "draw_conv", "draw_pool", "draw_transposed_conv", "ScanDrawing", "animate_scan", "scan_html",
    "plot_feature_maps", "plot_filters", "plot_boxes",
    "OKABE_ITO", "BLACK", "ORANGE", "SKY_BLUE", "BLUISH_GREEN", "YELLOW", "BLUE", "VERMILLION",
    "REDDISH_PURPLE", "GREY", "SEQUENTIAL_CMAP", "DIVERGING_CMAP",
]
