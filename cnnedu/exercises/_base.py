"""What every exercise check shares: the result object, the list of diagnoses, helpers.

Chapter modules add their own diagnoses to :data:`MISTAKES` with ``MISTAKES.update``.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "MISTAKES"]

# ---------------------------------------------------------------------------
# What a check says.  Every message is a fixed sentence: no number from the problem
# (or its answer) is ever put into one, so no message can give the answer away.
# ---------------------------------------------------------------------------

#: The general output-size formula, as the messages write it.
_OUT = "⌊(N + P_lo + P_hi − D(M − 1) − 1)/S⌋ + 1"

#: Every diagnosis a check can make: key -> the sentence shown to the reader.
MISTAKES: dict[str, str] = {
    # --- answers that cannot be used --------------------------------------------
    "not_a_number": "Your answer should be a number, written without quotes.",
    "not_whole": "Sizes and counts are whole numbers; check your arithmetic.",
    "not_positive": "A size or count is at least one; check the signs in your arithmetic.",
    "not_a_pair": "Give the padding as a pair of whole numbers, answer = (before, after): the "
                  "zeros added before the input and after it.",
    "pair_total": "That number is the right total, but give it as a pair (before, after): how "
                  "many zeros go before the input and how many after it.",
    "negative_padding": "Padding counts zeros added to the input, so neither side can be negative.",
    # --- output sizes -------------------------------------------------------------
    "forgot_floor": "You forgot the floor: the window only stops where it still fits, so a "
                    "fractional number of steps is rounded down, ⌊·⌋.",
    "forgot_plus_one": "You forgot the +1: dividing the distance the window can travel by S counts "
                       "its steps, and the window already gives one output before its first step.",
    "rounded_up": "You rounded up; round down instead. A window that would run past the edge of the "
                  "padded input is not computed, so the count of steps is ⌊·⌋, not ⌈·⌉.",
    "padding_one_side": "You counted the zeros of one side only: the padded input has "
                        "N + P_lo + P_hi samples, that is N + 2P with P zeros on each side, not N + P.",
    "padding_twice": "You counted the padding twice: P zeros on each side add 2P samples in all "
                     "(P_lo + P_hi), not twice that.",
    "forgot_padding": "You left out the padding: the window scans the padded input, "
                      "N + P_lo + P_hi samples long.",
    "forgot_stride": "You left out the stride: the window moves S samples per step, so divide the "
                     "distance it travels by S (and round down) before adding the 1.",
    "n_over_s": "⌈N/S⌉ (or N/S) is the output size of 'same' padding; this layer is padded "
                "differently, so use " + _OUT + ".",
    "input_size": "That is the size of the input. A convolution keeps it only with 'same' padding "
                  "and stride 1; here use " + _OUT + ".",
    "padded_size": "That is the size of the padded input. The window cannot be placed at every "
                   "padded sample: it must fit entirely, so subtract its span and add one.",
    "forgot_dilation": "You left out the dilation: a kernel of M taps with dilation D spans "
                       "D(M − 1) + 1 samples, not M.",
    "dilation_dm": "A dilated kernel spans D(M − 1) + 1 samples, not D·M: there are M − 1 gaps of D "
                   "between the taps, and no gap after the last one.",
    "span_without_one": "You subtracted D(M − 1) instead of the whole span D(M − 1) + 1: that counts "
                        "the gaps between the taps, and the taps themselves are one more.",
    # --- parameter counts -----------------------------------------------------------
    "forgot_bias": "You forgot the biases: every filter has one bias besides its weights, "
                   "C_out(C_in L² + 1) in all.",
    "bias_not_in_layer": "This layer has no bias (bias=False): count the weights only.",
    "one_bias_for_layer": "Each filter has its own bias, so there are C_out biases, not one.",
    "forgot_depth": "You forgot the depth of the filters: a filter spans all C_in input maps, "
                    "so it has C_in·L·L weights, not L·L.",
    "one_filter": "That is the count for one filter; the layer has C_out of them.",
    "kernel_not_squared": "An L×L filter has L² weights per input map, not L.",
    "bias_per_input_map": "One bias per filter, not one per input map: a filter adds up all its "
                          "products and then adds a single bias.",
    "forgot_groups": "You forgot the groups: with G groups each filter sees only C_in/G input maps.",
    "groups_twice": "Divide by the groups once: there are still C_out filters, each seeing C_in/G "
                    "input maps.",
    "forgot_kernel_area": "You forgot the spatial size of the filters: each filter has L×L weights "
                          "per input map.",
    # --- 'same' padding -----------------------------------------------------------------
    "tensorflow_same": "That is TensorFlow's 'SAME' rule, which pads S − 1 fewer zeros. It gives "
                       "the same output size ⌈N/S⌉, but the lecture first pads the input up to a "
                       "multiple of the stride, S⌈N/S⌉ − N zeros, and then adds the D(M − 1) zeros "
                       "of stride 1.",
    "ignored_stride": "You used the stride-1 rule. With stride S > 1 the lecture first pads the "
                      "input up to a multiple of S (S⌈N/S⌉ − N zeros) and then adds the zeros of "
                      "stride 1.",
    "extra_full_stride": "N is already a multiple of S, so padding it up to a multiple of S adds no "
                         "zeros: S⌈N/S⌉ − N is zero here, not S.",
    "same_forgot_dilation": "You left out the dilation: a dilated kernel spans D(M − 1) + 1 samples, "
                            "so stride 1 needs D(M − 1) zeros in total.",
    "full_padding": "That is 'full' padding, D(M − 1) zeros on each side, which makes the output "
                    "larger than the input. 'Same' padding adds D(M − 1) zeros in total (at stride 1).",
    "total_is_span": "One zero too many: at stride 1 a kernel spanning D(M − 1) + 1 samples needs "
                     "D(M − 1) zeros in total to give N outputs, not D(M − 1) + 1.",
    "total_each_side": "You put the whole total on each side; split it between the two sides.",
    "odd_total_split": "The total is odd, so the two sides cannot be equal: one side gets one zero "
                       "fewer than the other (|P_lo − P_hi| = 1).",
    "uneven_split": "Right total, but split it as evenly as possible: the two sides differ by at "
                    "most one zero.",
    "same_size_other_padding": "That padding does give the output size ⌈N/S⌉, but it is not the "
                               "lecture's: pad up to a multiple of S first (S⌈N/S⌉ − N zeros), then "
                               "add D(M − 1) zeros, split as evenly as possible.",
    "too_much_padding": "Too many zeros: that padding makes the output larger than ⌈N/S⌉.",
    "too_little_padding": "Too few zeros: that padding makes the output smaller than ⌈N/S⌉.",
    # --- spans and flattened sizes -------------------------------------------------------
    "dilation_gaps_d": "Dilation D leaves D − 1 skipped samples between taps (D = 1 is an ordinary "
                       "kernel), so the taps are D apart, not D + 1.",
    "dilation_added": "Dilation spreads every one of the M − 1 gaps between taps, not just one of "
                      "them: the span is D(M − 1) + 1.",
    "forgot_channels": "You forgot the channels: every one of the C maps contributes its H×W values.",
    "one_side_only": "A map has H×W values, not H: multiply both sides.",
    "added_sides": "Multiply the sides, don't add them: a map has H×W values.",
    "added_channels": "Multiply by the number of maps, don't add it: C maps of H×W values.",
    # --- no recognised slip ----------------------------------------------------------------
    "off_by_one_high": "Close, but one too many. Check where the last window fits, and the +1.",
    "off_by_one_low": "Close, but one too few. Check where the last window fits, and the +1.",
    "too_large": "Too large. Write the formula with the symbols first, then substitute the numbers.",
    "too_small": "Too small. Write the formula with the symbols first, then substitute the numbers.",
}

_UNANSWERED = "replace None with your answer and run the cell again."

# Okabe-Ito colours (as in cnnedu.viz.colors; repeated here so checking needs no matplotlib).
_COLOURS = {"correct": "#009E73", "wrong": "#D55E00", "unanswered": "#999999"}
_HEADS = {"correct": "✔ correct", "wrong": "✘ not yet", "unanswered": "… not answered yet"}


@dataclass(frozen=True)
class CheckResult:
    """What a check found: right or not, and a sentence for the reader.

    Attributes
    ----------
    check : str
        What was checked, e.g. ``"output size"``.
    correct : bool
        The answer is right.  ``bool(result)`` is this.
    answered : bool
        False while the answer is still ``None``.
    mistake : str or None
        Key of :data:`MISTAKES` when the answer is wrong (or unusable), else ``None``.
    message : str
        The sentence shown to the reader.  It never contains the right answer.

    Examples
    --------
    >>> from cnnedu.exercises import check_parameter_count
    >>> r = check_parameter_count(96 * 3 * 11 * 11, 3, 96, 11)
    >>> r
    ✘ not yet (parameter count): You forgot the biases: every filter has one bias besides its weights, C_out(C_in L² + 1) in all.
    >>> bool(r), r.mistake
    (False, 'forgot_bias')
    """

    check: str
    correct: bool
    answered: bool
    mistake: str | None
    message: str

    def __bool__(self) -> bool:
        return self.correct

    @property
    def status(self) -> str:
        """``"correct"``, ``"wrong"`` or ``"unanswered"``."""
        if not self.answered:
            return "unanswered"
        return "correct" if self.correct else "wrong"

    def __repr__(self) -> str:
        return f"{_HEADS[self.status]} ({self.check}): {self.message}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (f'<div class="cnnedu-check cnnedu-check-{self.status}" style="border-left: 4px solid '
                f'{colour}; padding: 4px 10px; margin: 4px 0;"><b style="color: {colour}">'
                f'{html.escape(_HEADS[self.status])}</b> ({html.escape(self.check)})<br>'
                f'{html.escape(self.message)}</div>')


# ---------------------------------------------------------------------------
# Building results
# ---------------------------------------------------------------------------

def _unanswered(check: str) -> CheckResult:
    return CheckResult(check, False, False, None, _UNANSWERED)


def _wrong(check: str, mistake: str) -> CheckResult:
    return CheckResult(check, False, True, mistake, MISTAKES[mistake])


def _right(check: str, message: str) -> CheckResult:
    return CheckResult(check, True, True, None, message)


def _as_number(answer):
    """The answer as an int (a whole float becomes an int), a non-whole float, or a mistake key."""
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        return "not_a_number"
    if isinstance(answer, numbers.Integral):
        return int(answer)
    value = float(answer)
    if not math.isfinite(value):
        return "not_a_number"
    return int(value) if value.is_integer() else value


def _first_match(answer: int, correct: int, candidates) -> str | None:
    """Key of the first candidate slip whose value is the answer (and is not the right answer)."""
    for key, value, applies in candidates:
        if applies and value != correct and answer == value:
            return key
    return None


def _fallback(answer: int, correct: int) -> str:
    if answer == correct + 1:
        return "off_by_one_high"
    if answer == correct - 1:
        return "off_by_one_low"
    return "too_large" if answer > correct else "too_small"


def _problem_error(fn: str, exc: Exception) -> Exception:
    """The same exception, naming the check instead of the cnnedu.sizes function."""
    message = re.sub(r"^[A-Za-z_][A-Za-z_0-9]*: ", "", str(exc))
    return type(exc)(f"{fn}: {message}")


def _judge_whole(check: str, answer, correct: int, right: str):
    """The verdict a whole-number check starts with: ``(result, None)`` or ``(None, value)``.

    A result when the answer is missing, not a number, not whole, or right (with the
    message ``right``); otherwise ``None`` and the answer as an int, for the check to
    diagnose.
    """
    if answer is None:
        return _unanswered(check), None
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value), None
    if isinstance(value, float):
        return _wrong(check, "not_whole"), None
    if value == correct:
        return _right(check, right), None
    return None, value

