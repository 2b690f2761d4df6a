"""Colours of cnnedu's figures: the Okabe-Ito palette, safe for every common colour-vision deficiency.

Okabe, M. and Ito, K. (2008), *Color Universal Design*.  Cell kinds are also
told apart by pattern (hatched padding, dotted inserted zeros), never by colour
alone.
"""

from __future__ import annotations

from matplotlib.colors import to_rgb

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

#: The eight Okabe-Ito colours by name.
OKABE_ITO = {
    "black": BLACK, "orange": ORANGE, "sky_blue": SKY_BLUE, "bluish_green": BLUISH_GREEN,
    "yellow": YELLOW, "blue": BLUE, "vermillion": VERMILLION, "reddish_purple": REDDISH_PURPLE,
}

#: Colour maps for values: sequential for data of one sign, diverging (centred at 0) otherwise.
SEQUENTIAL_CMAP = "cividis"
DIVERGING_CMAP = "RdBu_r"


def _tint(color: str, amount: float) -> tuple:
    """``color`` mixed with white: amount 0 is white, 1 the colour itself."""
    return tuple(1 - amount * (1 - c) for c in to_rgb(color))


# Roles in the scan figures (tints of the palette)
_INPUT_FACE = _tint(SKY_BLUE, 0.28)
_PAD_FACE = "#E6E6E6"
_PAD_EDGE = "#8C8C8C"
_INSERTED_FACE = _tint(YELLOW, 0.25)
_OUTPUT_FACE = _tint(BLUISH_GREEN, 0.22)
_CURRENT_FACE = _tint(ORANGE, 0.55)
_WINDOW_FACE = _tint(ORANGE, 0.35)
_CELL_EDGE = "#595959"
_WEIGHT_COLOR = BLUE
_MUTED_TEXT = "#4D4D4D"
