"""The one run configuration, `TrainConfig`, whose defaults are the tutorial's numbers (but a
checkpoint every epoch, and its own folders); the named recipes (`--recipe`) and the course
models' presets (`--model`) that fill the flags not given.

    train_config.py   TrainConfig: one field per flag of `python -m dcgan_tf.generate`
    choices.py        the names each choice-valued field accepts; the sizes each model draws
    checks.py         the one-line error for each value no run could use
    recipes.py        --recipe NAME: named sets of training values (RECIPES.md)
    presets.py        --model NAME: each course model's own batch size, rates and update order
    help.py           the `--help` line of each TrainConfig field
"""

from dcgan_tf.config.choices import CHOICES, MODELS
from dcgan_tf.config.presets import MODEL_PRESETS
from dcgan_tf.config.recipes import RECIPES
from dcgan_tf.config.train_config import TrainConfig, load_saved_config, save_config

__all__ = [
    "CHOICES",
    "MODELS",
    "MODEL_PRESETS",
    "RECIPES",
    "TrainConfig",
    "load_saved_config",
    "save_config",
]
