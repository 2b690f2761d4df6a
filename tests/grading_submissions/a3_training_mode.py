"""A3 mistake: predict runs the model in training mode (no model.eval()), so Dropout is active."""

import numpy as np


def predict(model, x):
    return np.concatenate([model(x[i:i + 256]).argmax(axis=1) for i in range(0, len(x), 256)])
