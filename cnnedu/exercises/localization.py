r"""Checks for chapter 10: receptive fields through strides, and how well a box fits.

* :func:`check_receptive_field`: the receptive field of a stack of layers with
  strides and dilations (the LeNet-like stacks and the TDNN of the chapter);
* :func:`check_iou`: the intersection over union of two boxes.

The right answers come from the library: :func:`cnnedu.sizes.receptive_field`
and :func:`cnnedu.data.iou`.  An IoU needs only be right to two decimals.  As
everywhere in :mod:`cnnedu.exercises`, a message is a fixed sentence and never
holds a number computed from the problem.
"""

from __future__ import annotations

import numpy as np

from .. import sizes
from ..data.localization import _as_boxes, box_area, iou
from ._base import (CheckResult, MISTAKES, _as_number, _fallback, _first_match, _judge_whole, _problem_error,
                    _right, _unanswered, _wrong)

__all__ = ["check_receptive_field", "check_iou"]

#: The diagnoses this module adds to :data:`MISTAKES`.
LOCALIZATION_MISTAKES: dict[str, str] = {
    # --- receptive fields through strides -------------------------------------------------
    "field_ignored_stride": "You added (k − 1)·d for every layer as if all strides were one. After a "
                            "layer of stride s, neighbouring units are s input samples apart, so every "
                            "later layer widens the field by (k − 1)·d times the jump j of the layer "
                            "below it: r_l = r_{l−1} + (k_l − 1)·d_l·j_{l−1}.",
    "field_own_stride": "You multiplied each layer's growth by a jump that already includes that "
                        "layer's own stride. A layer's stride spaces out its *outputs*; its window "
                        "still steps over the units of the layer below, j_{l−1} input samples apart.",
    "field_added_spans": "You added up the spans of the windows. Neighbouring windows overlap, so each "
                         "layer adds (k − 1)·d·j_{l−1} samples to the field, not its whole span.",
    "field_forgot_one": "You counted how much the layers widen the field but not the one sample a unit "
                        "sees before any layer: start from r = 1.",
    "field_last_layer": "That is what the last layer's window spans over the map just below it. The "
                        "field is measured in *input* samples: follow it down through every layer.",
    # --- intersection over union ----------------------------------------------------------
    "iou_over_sum": "You divided by the sum of the two areas, which counts the overlap twice. The "
                    "union is |A| + |B| − |A ∩ B|.",
    "iou_over_one_box": "You divided by the area of one box only. IoU divides the overlap by the "
                        "area covered by either box, the union |A| + |B| − |A ∩ B|.",
    "iou_intersection_only": "That is the area of the overlap; divide it by the area of the union.",
    "iou_percent": "Give the IoU as a fraction between zero and one, not as a percentage.",
    "iou_out_of_range": "An intersection over union lies between zero and one: the overlap can never "
                        "be larger than the union.",
    "iou_truncated": "Close, but cut off rather than rounded: round to two decimals, or give more digits.",
    "iou_wrong": "Not yet. Find the overlap box (larger of the minima, smaller of the maxima on each "
                 "axis; empty if inverted), its area, the union |A| + |B| − |A ∩ B|, and divide.",
}
MISTAKES.update(LOCALIZATION_MISTAKES)

#: An IoU within this of the right value passes (it is right to two decimals).
_TOL = 0.005 + 1e-9


def _layers(fn: str, layers):
    try:
        sizes.receptive_field(layers)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if len(layers) == 0:
        raise ValueError(f"{fn}: layers must hold at least one layer")
    return [(int(l[0]), int(l[1]), int(l[2]) if len(l) == 3 else 1) for l in layers]


def check_receptive_field(answer, layers) -> CheckResult:
    r"""Check the receptive field, in input samples, of a unit on top of ``layers``.

    The right answer is :func:`cnnedu.sizes.receptive_field` ``(layers)[0]``,
    :math:`r_L` of :math:`r_l = r_{l-1} + (k_l - 1) d_l j_{l-1}`,
    :math:`j_l = j_{l-1} s_l`, from :math:`r_0 = j_0 = 1`.

    Parameters
    ----------
    answer : int or None
    layers : sequence of (kernel, stride) or (kernel, stride, dilation)
        From the input up; a pooling layer is (size, stride).

    Examples
    --------
    >>> check_receptive_field(16, [(5, 1), (2, 2), (5, 1), (2, 2)])       # LeNet up to the second pooling
    ✔ correct (receptive field): Right: each layer adds (k − 1)·d times the jump of the layer below it.
    >>> check_receptive_field(11, [(5, 1), (2, 2), (5, 1), (2, 2)]).mistake   # strides ignored
    'field_ignored_stride'
    """
    fn = "check_receptive_field"
    geometry = _layers(fn, layers)
    correct = sizes.receptive_field(geometry)[0]
    check = "receptive field"
    verdict, value = _judge_whole(check, answer, correct,
                                  "Right: each layer adds (k − 1)·d times the jump of the layer below it.")
    if verdict is not None:
        return verdict
    if value < 1:
        return _wrong(check, "not_positive")
    ignored = 1 + sum((k - 1) * d for k, _, d in geometry)
    own, jump = 1, 1
    for k, s, d in geometry:
        jump *= s
        own += (k - 1) * d * jump
    spans = sum((k - 1) * d + 1 for k, _, d in geometry)
    k, _, d = geometry[-1]
    candidates = [("field_ignored_stride", ignored, True), ("field_own_stride", own, True),
                  ("field_added_spans", spans, True), ("field_forgot_one", correct - 1, True),
                  ("field_last_layer", (k - 1) * d + 1, len(geometry) > 1)]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_iou(answer, box_a, box_b) -> CheckResult:
    r"""Check the intersection over union of two boxes ``(x_min, y_min, x_max, y_max)``, to two decimals.

    The right answer is :func:`cnnedu.data.iou` ``(box_a, box_b)``,
    :math:`|A \cap B| / (|A| + |B| - |A \cap B|)`.

    Examples
    --------
    >>> check_iou(0.14, [0, 0, 2, 2], [1, 1, 3, 3])
    ✔ correct (intersection over union): Right: the overlap divided by the union, |A| + |B| − |A ∩ B|.
    >>> check_iou(0.125, [0, 0, 2, 2], [1, 1, 3, 3]).mistake              # 1 / (4 + 4)
    'iou_over_sum'
    """
    fn = "check_iou"
    try:
        a = _as_boxes(fn, "box_a", box_a)
        b = _as_boxes(fn, "box_b", box_b)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if a.shape != (4,) or b.shape != (4,):
        raise ValueError(f"{fn}: box_a and box_b must each be four numbers (x_min, y_min, x_max, y_max), "
                         f"got shapes {a.shape} and {b.shape}")
    check = "intersection over union"
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    correct = float(iou(a, b))
    if abs(value - correct) <= _TOL:
        return _right(check, "Right: the overlap divided by the union, |A| + |B| − |A ∩ B|.")
    area_a, area_b = float(box_area(a)), float(box_area(b))
    inter = float(box_area(np.concatenate([np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])])))
    slips = [("iou_percent", correct * 100, 100 * _TOL),
             ("iou_over_sum", inter / (area_a + area_b) if area_a + area_b else None, _TOL),
             ("iou_over_one_box", inter / area_a if area_a else None, _TOL),
             ("iou_over_one_box", inter / area_b if area_b else None, _TOL),
             ("iou_intersection_only", inter, _TOL)]
    for key, slip, tol in slips:
        if slip is not None and abs(slip - correct) > _TOL and abs(value - slip) <= tol:
            return _wrong(check, key)
    if not 0 <= value <= 1:
        return _wrong(check, "iou_out_of_range")
    truncated = int(correct * 100 + 1e-9) / 100
    if abs(value - truncated) < 1e-9:
        return _wrong(check, "iou_truncated")
    return _wrong(check, "iou_wrong")
