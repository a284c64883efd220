"""Training-time augmentation aimed at how people draw on a canvas.

Beyond MNIST's own variation, drawings come rotated, scaled, shifted and with pens from thin to
thick; each batch gets a random mix of all four.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers


def random_stroke_width(images: tf.Tensor, seed: int) -> tf.Tensor:
    """Per image: thin the strokes (2x2 erosion), keep them, or thicken them (2x2 or 3x3 dilation)."""
    thin = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    thick = tf.nn.max_pool2d(images, ksize=2, strides=1, padding="SAME")
    thicker = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    variants = tf.stack([images, images, thin, thick, thick, thicker])  # original twice as likely
    choice = tf.random.uniform(tf.shape(images)[:1], 0, 6, dtype=tf.int32, seed=seed)
    batch_index = tf.range(tf.shape(images)[0])
    return tf.gather_nd(variants, tf.stack([choice, batch_index], axis=1))


def geometric(seed: int) -> keras.Sequential:
    """Small rotations, zooms and shifts, filling with background (0)."""
    return keras.Sequential(
        [
            layers.RandomRotation(0.035, fill_mode="constant", seed=seed),  # about +-12 degrees
            layers.RandomZoom((-0.15, 0.15), fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 2),
        ],
        name="augment",
    )


def augmenter(seed: int):
    """A batch function for `tf.data.Dataset.map`: stroke width, then geometry."""
    geometry = geometric(seed)

    def augment(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        images = random_stroke_width(images, seed)
        images = geometry(images, training=True)
        return tf.clip_by_value(images, 0.0, 1.0), labels

    return augment
