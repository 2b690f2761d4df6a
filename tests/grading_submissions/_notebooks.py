"""Run an assignment notebook's code the way the grader does, in this process, for the tests."""

from cnnedu.grading.submission import notebook_script


def notebook_namespace(nb: dict) -> dict:
    """Execute ``nb``'s code cells in order as a module named ``submission`` (skipped cells
    skipped, IPython lines removed) and return its namespace; a stub's ``NotImplementedError``
    stops only its own cell."""
    script = notebook_script(nb)
    namespace = {"__name__": "submission"}
    lines = script.source.split("\n")
    for _, first, last in script.chunks:
        try:
            exec(compile("\n" * (first - 1) + "\n".join(lines[first - 1:last]), "<nb>", "exec"), namespace)
        except NotImplementedError:
            pass
    return namespace
