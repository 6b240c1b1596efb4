"""The generator as a servable TensorFlow module: noise in, uint8 pixels out.

`python -m dcgan_tf.export` saves it as a SavedModel; anything that loads SavedModels (TF
Serving, TensorFlow in another program) then draws the same images as `dcgan_tf.sample`,
without this package.
"""

from __future__ import annotations

import tensorflow as tf

from dcgan_tf.run.state import GanState


class ServingGenerator(tf.Module):
    """`serve(noise[, label]) -> {"images": uint8 (N, S, S, channels)}`, S x S the pictures the
    generator draws (28, 32, 64 or 128: `--image-size`).

    The pixels are computed as `models.specs.ModelSpec.to_pixels` computes them for `sample`: the
    flat output of the gan model reshaped, then [-1, 1] (tanh) or [0, 1] (sigmoid) scaled to
    0..255, rounded half to even, clipped. A conditional model also takes the digit label.
    """

    def __init__(self, state: GanState, noise_dim: int, channels: int) -> None:
        super().__init__(name=f"{state.spec.name}_generator")
        self.generator = state.generator
        self.channels = channels
        self.sigmoid_pixels = state.spec.sigmoid_pixels
        noise = tf.TensorSpec([None, noise_dim], tf.float32, name="noise")
        if state.spec.conditional:
            label = tf.TensorSpec([None], tf.int32, name="label")
            self.serve = tf.function(self.images_for_labels, input_signature=[noise, label])
        else:
            self.serve = tf.function(self.images, input_signature=[noise])

    def images(self, noise: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"images": self.to_pixels(self.generator(noise, training=False))}

    def images_for_labels(self, noise: tf.Tensor, label: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"images": self.to_pixels(self.generator([noise, label], training=False))}

    def to_pixels(self, output: tf.Tensor) -> tf.Tensor:
        if output.shape.rank == 2:  # the gan model's is flat: (N, S * S * channels)
            side = round((output.shape[1] // self.channels) ** 0.5)
            output = tf.reshape(output, [-1, side, side, self.channels])
        output = output * 255.0 if self.sigmoid_pixels else output * 127.5 + 127.5
        return tf.cast(tf.clip_by_value(tf.round(output), 0.0, 255.0), tf.uint8)
