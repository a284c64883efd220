"""The two models the project compares: an MLP baseline and the CNN that is shipped.

Both answer eleven classes: the digits 0-9 and NOT_A_DIGIT (10), the rejection class.
"""

from __future__ import annotations

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 11  # ten digits and "not a digit"


def build_mlp() -> keras.Model:
    """A two-hidden-layer perceptron on the flattened pixels: the classic baseline."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp",
    )


def conv_block(x, filters: int, name: str):
    """Two 3x3 convolutions with batch norm, then 2x2 max pooling and dropout."""
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)
    x = layers.MaxPooling2D(name=f"{name}_pool")(x)
    return layers.Dropout(0.25, name=f"{name}_dropout")(x)


def build_cnn(filters: int = 32) -> keras.Model:
    """Two conv-conv-pool blocks (`filters`, then twice as many), a dense layer with dropout, softmax."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = conv_block(inputs, filters, "block1")
    x = conv_block(x, 2 * filters, "block2")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(momentum=0.9, name="dense_bn")(x)
    x = layers.ReLU(name="dense_relu")(x)
    x = layers.Dropout(0.4, name="dense_dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")


BUILDERS = {"cnn": build_cnn, "mlp": build_mlp}
