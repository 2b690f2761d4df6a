"""A3 mistake: train's own loop never calls zero_grad, so the gradients pile up from batch to batch."""

import numpy as np

from cnnedu import nn, optim


def train(model, x_train, y_train):
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for epoch in range(3):
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), 64):
            batch = order[start:start + 64]
            loss_fn(model(x_train[batch]), y_train[batch])
            model.backward(loss_fn.backward())
            optimizer.step()
