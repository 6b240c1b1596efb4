"""The benchmark's yardstick: the notebook's own training loop, as the tutorial writes it.

`tf.data` from_tensor_slices -> shuffle(BUFFER_SIZE) -> batch(BATCH_SIZE); a `@tf.function`
train step that draws its noise inside; after each epoch a matplotlib 4x4 figure of the seed
noise saved as PNG, and a checkpoint every 15 epochs. Only the model builders are shared with
dcgan_tf (their layers are the tutorial's, tested by the parity tests).
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model

NOISE_DIM = 100
NUM_EXAMPLES_TO_GENERATE = 16


def run_notebook_loop(
    images: np.ndarray, epochs: int, batch_size: int, out: Path
) -> list[tuple[float, int]]:
    """Train as the notebook does; returns (seconds, images) of each epoch."""
    train_dataset = notebook_dataset(images, batch_size)
    notebook = Notebook(batch_size, out)
    return [
        (notebook.run_epoch(train_dataset, epoch), len(images)) for epoch in range(1, epochs + 1)
    ]


def notebook_dataset(images: np.ndarray, batch_size: int) -> tf.data.Dataset:
    train_images = images.reshape(images.shape[0], 28, 28, 1).astype("float32")
    train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]
    buffer_size = len(train_images)
    return tf.data.Dataset.from_tensor_slices(train_images).shuffle(buffer_size).batch(batch_size)


class Notebook:
    """The notebook's globals: models, losses, optimizers, checkpoint, seed, and its functions."""

    def __init__(self, batch_size: int, out: Path) -> None:
        self.out = out
        generator = make_generator_model()
        discriminator = make_discriminator_model()
        cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)

        def discriminator_loss(real_output, fake_output):
            real_loss = cross_entropy(tf.ones_like(real_output), real_output)
            fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
            return real_loss + fake_loss

        def generator_loss(fake_output):
            return cross_entropy(tf.ones_like(fake_output), fake_output)

        generator_optimizer = tf.keras.optimizers.Adam(1e-4)
        discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)
        checkpoint = tf.train.Checkpoint(
            generator_optimizer=generator_optimizer,
            discriminator_optimizer=discriminator_optimizer,
            generator=generator,
            discriminator=discriminator,
        )
        seed = tf.random.normal([NUM_EXAMPLES_TO_GENERATE, NOISE_DIM])

        @tf.function
        def train_step(images):
            noise = tf.random.normal([batch_size, NOISE_DIM])
            with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
                generated_images = generator(noise, training=True)
                real_output = discriminator(images, training=True)
                fake_output = discriminator(generated_images, training=True)
                gen_loss = generator_loss(fake_output)
                disc_loss = discriminator_loss(real_output, fake_output)
            gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
            gradients_of_discriminator = disc_tape.gradient(
                disc_loss, discriminator.trainable_variables
            )
            generator_optimizer.apply_gradients(
                zip(gradients_of_generator, generator.trainable_variables, strict=True)
            )
            discriminator_optimizer.apply_gradients(
                zip(gradients_of_discriminator, discriminator.trainable_variables, strict=True)
            )

        self.train_step, self.checkpoint = train_step, checkpoint
        self.generator, self.seed = generator, seed

    def run_epoch(self, train_dataset: tf.data.Dataset, epoch: int) -> float:
        """The notebook's `train` for one epoch (1-based); its seconds."""
        start = time.time()
        for image_batch in train_dataset:
            self.train_step(image_batch)
        self.generate_and_save_images(epoch)
        if epoch % 15 == 0:
            self.checkpoint.save(file_prefix=str(self.out / "ckpt"))
        return time.time() - start

    def generate_and_save_images(self, epoch: int) -> None:
        predictions = self.generator(self.seed, training=False)
        fig = plt.figure(figsize=(4, 4))
        for i in range(predictions.shape[0]):
            plt.subplot(4, 4, i + 1)
            plt.imshow(predictions[i, :, :, 0] * 127.5 + 127.5, cmap="gray")
            plt.axis("off")
        plt.savefig(self.out / f"image_at_epoch_{epoch:04d}.png")
        plt.close(fig)
