"""A3 mistake (or trick): a network that gives every digit the same class, here by zeroing its weights."""


def train(model, x_train, y_train):
    for p in model.parameters():
        p.data[...] = 0.0
