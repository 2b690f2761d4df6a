"""A3 mistake: Adam with learning rate 2 (meant 2e-3): the ReLUs die and every digit gets the same class."""

from cnnedu import nn, optim
from cnnedu.train import fit


def train(model, x_train, y_train):
    optimizer = optim.Adam(model.parameters(), lr=2.0)
    fit(model, nn.CrossEntropyLoss(), optimizer, x_train, y_train, epochs=1, batch_size=64, seed=0,
        progress=False)
