"""See it move: sliders that redraw the book's figures (ipywidgets).

Each explorer keeps its state in plain attributes, so a notebook (or a test)
can drive it from Python as well as with the mouse::

    from cnnedu.widgets import ConvExplorer
    ex = ConvExplorer()          # displays itself as the last expression of a cell
    ex.stride.value = 2
    ex.output_size, ex.formula   # ((3, 3), '⌊(7 + 0 + 0 − 3)/2⌋ + 1 = 3')

* :class:`ConvExplorer`, :class:`TransposedConvExplorer`, :class:`PoolingExplorer`:
  the knobs of :func:`cnnedu.viz.draw_conv`, :func:`~cnnedu.viz.draw_transposed_conv`
  and :func:`~cnnedu.viz.draw_pool` on sliders, with the output size from
  :mod:`cnnedu.sizes`, its formula with the numbers substituted, and a plain
  message when the setting is impossible.
* :class:`ReceptiveFieldExplorer`: a stack of up to four layers and the input
  pixels one output sees, by the formula (:func:`receptive_field`) and by
  back-propagating a one-hot gradient; the two agree.
* :class:`FilterPlayground`: edge, blur and custom 3x3 filters applied to a real
  digit with :func:`cnnedu.functional.conv2d` (``padding="same"``).

Figures are drawn with matplotlib into one reused figure and shown as a PNG in
an :class:`ipywidgets.Image`: no ipympl, the same in JupyterLab and Voilà, and a
slider move redraws in about a tenth of a second.  Controls carry CSS classes
``cnnedu-<name>`` (``cnnedu-stride``, ``cnnedu-output-size``, ...) for browser tests.
"""

from ._base import Explorer
from .filters import FILTERS, FilterPlayground
from .receptive_field import ReceptiveFieldExplorer, receptive_field
from .scan import ConvExplorer, PoolingExplorer, TransposedConvExplorer

__all__ = ["ConvExplorer", "TransposedConvExplorer", "PoolingExplorer", "ReceptiveFieldExplorer",
           "FilterPlayground", "FILTERS", "receptive_field", "Explorer"]
