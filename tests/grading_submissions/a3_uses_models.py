"""A3 mistake: build_lenet returns the model zoo's LeNet-5 instead of assembling the layers.

In-process (``cnnedu.check``) it passes; the grader blocks ``cnnedu.models`` and says so.
"""


def build_lenet(input_size=32, num_classes=10):
    from cnnedu.models import lenet5
    return lenet5(num_classes, input_size=input_size)
