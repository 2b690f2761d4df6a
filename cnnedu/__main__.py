"""``python -m cnnedu``: the same as the ``cnnedu`` command (see :mod:`cnnedu.grading.cli`)."""

if __name__ == "__main__":
    import sys

    from cnnedu.grading.cli import main

    sys.exit(main())
