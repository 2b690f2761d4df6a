"""The course's assignments, one module each; :func:`get_assignment` finds them by name.

To add an assignment, write ``cnnedu/grading/assignments/aN_topic.py`` defining
``ASSIGNMENT = Assignment(...)`` (see ``a1_convolution.py`` and ``docs/grading.md``),
and add its name and module to :data:`MODULES`.
"""

from __future__ import annotations

import importlib

__all__ = ["MODULES", "get_assignment", "names"]

#: Assignment name -> module in this package.
MODULES = {
    "A1": "a1_convolution",
    "A2": "a2_pooling",
    "A3": "a3_train",
    "A4": "a4_neocognitron",
}


def names() -> list[str]:
    """The names of all assignments, in order.

    >>> names()[0]
    'A1'
    """
    return list(MODULES)


def get_assignment(name: str):
    """The :class:`~cnnedu.grading.spec.Assignment` called ``name`` (``"A1"``; any case)."""
    key = str(name).upper()
    if key not in MODULES:
        raise KeyError(f"no assignment {name!r}; the assignments are {', '.join(MODULES)}")
    return importlib.import_module(f"{__name__}.{MODULES[key]}").ASSIGNMENT
