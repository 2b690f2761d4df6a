"""Test configuration shared by the whole suite.

Only a Hypothesis profile: the first call of every Numba kernel JIT-compiles
(or loads its cache), which can take seconds, so no per-example deadline.
"""

from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=30)
settings.load_profile("default")
