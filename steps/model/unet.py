"""A small U-Net for trimap segmentation, after the keras-io Oxford Pets example.

Pure: `build_unet(img_size, num_classes, ...)` returns an uncompiled Keras model. At 64x64 with
width 16 and depth 3 it trains in about a minute on two CPU cores; raise both on a GPU.
"""

from __future__ import annotations

from typing import Any


def build_unet(
    img_size: int,
    num_classes: int = 3,
    *,
    width: int = 16,
    depth: int = 3,
    dropout: float = 0.0,
    bn_momentum: float = 0.9,
) -> Any:
    import keras
    from keras import layers

    inputs = keras.Input(shape=(img_size, img_size, 3))
    x = layers.Conv2D(width, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.Activation("relu")(x)
    previous = x
    filters = [width * 2**i for i in range(1, depth + 1)]
    for f in filters:  # down: separable convolutions, residual projections
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(f, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(f, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(f, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    if dropout:
        x = layers.Dropout(dropout)(x)
    for f in [*reversed(filters), width]:  # up: transposed convolutions
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(f, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(f, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(f, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous = x
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs, name=f"unet_{img_size}_w{width}_d{depth}")
