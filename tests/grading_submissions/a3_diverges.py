"""A3 mistake: a learning rate far too high for SGD (1e5 instead of 1e-2): fit raises TrainingDivergedError."""

from cnnedu import nn, optim
from cnnedu.train import fit


def train(model, x_train, y_train):
    optimizer = optim.SGD(model.parameters(), lr=1e5)
    fit(model, nn.CrossEntropyLoss(), optimizer, x_train, y_train, epochs=10, batch_size=64, seed=0,
        progress=False)
