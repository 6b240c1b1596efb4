"""The names each choice-valued field of `TrainConfig` accepts, and what each model can draw."""

from __future__ import annotations

from dcgan_tf.config.recipes import RECIPES

DATASETS = ("mnist", "fashion_mnist", "folder")
SPLITS = ("train", "test")
DEVICES = ("auto", "cpu", "gpu")
MODELS = ("dcgan", "cdcgan", "gan", "tfexamples", "carpedm20", "pytorch")
CONDITIONAL_MODELS = ("cdcgan", "carpedm20")
GEN_LOSSES = ("non-saturating", "minimax")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
STRATEGIES = ("auto", "default", "mirrored", "multiworker")  # distribute.py
UPDATES = ("simultaneous", "alternating")
GEN_NOISES = ("fresh", "same")
LR_DECAYS = ("none", "linear", "cosine")  # options/schedule.py
AUGMENTATIONS = ("translation", "cutout", "color")  # options/diff_augment.py
IMAGE_SIZES = (28, 32, 64, 128)  # --image-size: the tutorial's 28, and the DCGANs' usual sizes
# The sizes each model draws (models/specs.py builds them): a model opens a size here once it can.
MODEL_IMAGE_SIZES = {name: (28,) for name in MODELS} | {
    "dcgan": IMAGE_SIZES,
    "pytorch": IMAGE_SIZES,
}
CHOICES = {"dataset": DATASETS, "split": SPLITS, "device": DEVICES, "model": MODELS}
CHOICES |= {"gen_loss": GEN_LOSSES, "precision": PRECISIONS}
CHOICES |= {"update": UPDATES, "gen_noise": GEN_NOISES}
CHOICES |= {"recipe": tuple(RECIPES), "strategy": STRATEGIES, "lr_decay": LR_DECAYS}
CHOICES |= {"image_size": IMAGE_SIZES}
