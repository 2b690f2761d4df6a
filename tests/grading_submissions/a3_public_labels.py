"""A3 cheat: train on the public MNIST subset with its public labels, held-out digits included.

The grader relabels the digits, so this network, right on the public labels, is wrong on the
grader's; inside the grader ``cnnedu.data`` cannot even be imported.
"""

import numpy as np

from cnnedu import nn, optim
from cnnedu.train import fit


def train(model, x_train, y_train):
    from cnnedu.data import load_mnist
    (x_public, y_public), (x_held_out, y_held_out) = load_mnist("subset", pad_to=32)
    x, y = np.concatenate([x_public, x_held_out]), np.concatenate([y_public, y_held_out])
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    fit(model, nn.CrossEntropyLoss(), optimizer, x, y, epochs=2, batch_size=64, seed=0, progress=False)
