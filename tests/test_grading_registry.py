"""Every registered assignment loads, and no assignment's mistake sentence replaces another's.

The specs add their sentences to one shared :data:`cnnedu.grading.judge.MISTAKES`; a
key reused with a different sentence would silently change what another assignment
tells its students.
"""

import importlib

import pytest

from cnnedu.grading.assignments import MODULES, get_assignment
from cnnedu.grading.judge import MISTAKES


def _own_sentences():
    for name, module in MODULES.items():
        get_assignment(name)
        mod = importlib.import_module(f"cnnedu.grading.assignments.{module}")
        for attr, value in vars(mod).items():
            if attr.endswith("_MISTAKES") and isinstance(value, dict):
                yield name, value


def test_every_assignment_loads_with_parts_and_points():
    for name in MODULES:
        assignment = get_assignment(name)
        assert assignment.parts, name
        assert sum(t.points for p in assignment.parts for t in p.tests) > 0, name


def test_no_assignment_overwrites_another_assignments_sentences():
    owners = {}
    for name, sentences in _own_sentences():
        for key, sentence in sentences.items():
            if key in owners and owners[key][1] != sentence:
                pytest.fail(f"{name} redefines the mistake {key!r} of {owners[key][0]}")
            owners[key] = (name, sentence)
            assert MISTAKES[key] == sentence, f"{key!r} of {name} was overwritten"
    assert owners                                    # the specs were found
