"""The checks of a `TrainConfig`: every bad value or contradiction is one `UserError` line,
raised when the config is made (`TrainConfig.__post_init__`), before anything is built."""

from __future__ import annotations

import dataclasses
from typing import Any

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import INT64_MAX, check_seed
from dcgan_tf.config.choices import (
    AUGMENTATIONS,
    CHOICES,
    CONDITIONAL_MODELS,
    MODEL_IMAGE_SIZES,
)


def check_config(config: Any) -> None:
    """Raise a one-line UserError for the first value of `config` (a TrainConfig, whose module
    imports this one) no run could use."""
    positive = {
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "noise_dim": config.noise_dim,
    }
    positive |= {"save_every": config.save_every, "steps_per_call": config.steps_per_call}
    positive |= {"gen_steps": config.gen_steps}
    positive |= {"disc_steps": config.disc_steps, "r1_every": config.r1_every}
    for name, value in positive.items():
        if value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    check_seed(config.seed)
    for field in dataclasses.fields(config):
        values = getattr(config, field.name)
        for value in values if isinstance(values, tuple) else (values,):
            if type(value) is int and value > INT64_MAX:
                flag = "--" + field.name.replace("_", "-")
                raise UserError(f"{flag} must be at most {INT64_MAX} (2**63 - 1), got {value}")
    for name in ("out", "checkpoint_dir", "data_dir", "resume_from", "cache_dir"):
        if getattr(config, name) is not None and not str(getattr(config, name)).strip():
            raise UserError(f"--{name.replace('_', '-')} is empty; name a folder")
    if config.eval_every < 0:
        raise UserError(f"--eval-every must be 0 (off) or more, got {config.eval_every}")
    if config.eval_samples < 10:  # precision and recall need k=3 neighbours and then some
        raise UserError(f"--eval-samples must be at least 10, got {config.eval_samples}")
    if not 0 < config.learning_rate < float("inf"):
        raise UserError(f"--learning-rate must be a positive number, got {config.learning_rate}")
    if config.keep_every < 0:
        raise UserError(f"--keep-every must be 0 (off) or more, got {config.keep_every}")
    if config.resume_from and config.fresh:
        raise UserError("--resume-from and --fresh contradict each other; choose one")
    disc_rate = config.disc_learning_rate
    if disc_rate is not None and not 0 < disc_rate < float("inf"):
        raise UserError(f"--disc-learning-rate must be a positive number, got {disc_rate}")
    if config.update == "alternating" and config.disc_steps > 1:
        raise UserError(
            "--disc-steps works with --update simultaneous only (the alternating update "
            "has its own --gen-steps)"
        )
    if config.lr_warmup_steps < 0:
        raise UserError(f"--lr-warmup-steps must be 0 (off) or more, got {config.lr_warmup_steps}")
    if config.disc_dropout is not None and not 0 <= config.disc_dropout < 1:
        raise UserError(f"--disc-dropout must be in [0, 1), got {config.disc_dropout}")
    if not 0 <= config.r1_gamma < float("inf"):
        raise UserError(f"--r1-gamma must be 0 (off) or a positive number, got {config.r1_gamma}")
    augmentations = [name.strip() for name in config.diff_augment.split(",") if name.strip()]
    for name in augmentations:
        if name not in AUGMENTATIONS:
            raise UserError(
                f"unknown --diff-augment {name!r}; choose from: {', '.join(AUGMENTATIONS)}"
            )
    if not 0 <= config.until_fid < float("inf"):
        raise UserError(f"--until-fid must be 0 (off) or a positive FID, got {config.until_fid}")
    if config.until_fid and not config.eval_every:
        raise UserError("--until-fid needs --eval-every N: the FID is measured every N epochs")
    if config.ema_warmup and not config.ema_decay:
        raise UserError("--ema-warmup needs --ema-decay D (the decay it warms up to)")
    if config.ada_target and not augmentations:
        raise UserError("--ada-target needs --diff-augment POLICY: the augmentations it applies")
    if not 0 < config.ada_max_p <= 1:
        raise UserError(f"--ada-max-p must be in (0, 1], got {config.ada_max_p}")
    if config.ada_max_p < 1 and not config.ada_target:
        raise UserError("--ada-max-p needs --ada-target T: the p it caps")
    if config.consistency_weight and not augmentations:
        raise UserError("--consistency-weight needs --diff-augment POLICY: the transformations")
    if not 0 <= config.consistency_weight < float("inf"):
        raise UserError(
            f"--consistency-weight must be 0 (off) or more, got {config.consistency_weight}"
        )
    for name in ("beta1", "beta2", "ema_decay", "label_smoothing", "ada_target"):
        if not 0 <= getattr(config, name) < 1:
            flag = "--" + name.replace("_", "-")
            raise UserError(f"{flag} must be in [0, 1), got {getattr(config, name)}")
    if config.steps < 0 or any(s < 0 for s in config.snapshot_steps):
        raise UserError("--steps and --snapshot-steps must not be negative")
    if config.channels not in (1, 3):
        raise UserError(f"--channels must be 1 or 3, got {config.channels}")
    if config.channels == 3 and config.dataset != "folder":
        raise UserError("--channels 3 needs --dataset folder (MNIST is gray)")
    conditional = config.model in CONDITIONAL_MODELS
    if config.dataset == "folder" and (config.data_dir is None or conditional):
        raise UserError("--dataset folder needs --data-dir, and has no labels for cdcgan")
    if config.crop < 0 or (config.crop and config.dataset != "folder"):
        raise UserError(f"--crop {config.crop}: a number of pixels, for --dataset folder only")
    if config.gen_steps > 1 and config.update != "alternating":
        raise UserError(f"--gen-steps {config.gen_steps} needs --update alternating")
    for name, allowed in CHOICES.items():
        if getattr(config, name) not in allowed:
            raise UserError(
                f"unknown --{name.replace('_', '-')} {getattr(config, name)!r}; "
                f"choose one of: {', '.join(map(str, allowed))}"
            )
    sizes = MODEL_IMAGE_SIZES[config.model]
    if config.image_size not in sizes:
        drawn = " or ".join(f"{size}x{size}" for size in sizes)
        raise UserError(
            f"--image-size {config.image_size}: the {config.model} model draws {drawn} "
            "pictures only"
        )
