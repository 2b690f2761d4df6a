"""A3 mistake: predict returns the scores (N, C), not the labels."""


def predict(model, x):
    model.eval()
    return model(x)
