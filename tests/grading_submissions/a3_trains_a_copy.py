"""A3 mistake: train trains a copy of the model and returns it; the model it was given stays untrained."""

import copy

from cnnedu import nn, optim
from cnnedu.train import fit


def train(model, x_train, y_train):
    model = copy.deepcopy(model)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    fit(model, nn.CrossEntropyLoss(), optimizer, x_train, y_train, epochs=1, batch_size=64, seed=0,
        progress=False)
    return model
