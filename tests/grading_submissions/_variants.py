"""Walk an assignment part's mistake variants the way the judge meets them, for the tests."""

import numpy as np

from cnnedu.grading.judge import diagnose


def variant_diagnoses(part) -> tuple[set, set]:
    """``(applicable, recognised)`` for ``part``'s variants.

    A variant is *applicable* when, on some case the grader diagnoses, it gives an output
    that differs from the right answer; it is *recognised* when the judge, fed that output,
    names it (an earlier variant giving the very same arrays takes precedence).  Every
    diagnosis made on the way must be exact.
    """
    recognised, applicable = set(), set()
    for variant in part.variants:
        for case, _ in part.cases():
            if not case.params.get("diagnose", True):
                continue
            outs = part.variant_outputs(variant, case)
            if outs is None:
                continue
            for i, out in enumerate(outs):
                if out is None:
                    continue
                expected = part.expected(case)[i]
                if out.shape == expected.shape and np.allclose(out, expected):
                    continue
                applicable.add(variant.mistake)
                key, exact = diagnose(part, case, i, out, expected)
                assert exact and key is not None, (part.name, variant.mistake, case.label)
                if key == variant.mistake:
                    recognised.add(key)
    return applicable, recognised
