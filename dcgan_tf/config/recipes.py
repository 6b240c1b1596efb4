"""Named training recipes: sets of config values picked with `--recipe NAME`.

A recipe fills only the flags not given on the command line (flags given win), and the run's
`config.json` records its name beside the values it resolved to. Sources:

- `tutorial`: the TensorFlow DCGAN tutorial: Adam(1e-4) for each net, Adam's default beta1 0.9.
- `dcgan-paper`: Radford et al. 2016, "Unsupervised representation learning with deep
  convolutional GANs": "We found the suggested learning rate of 0.001, to be too high, using
  0.0002 instead ... reducing [beta1] to 0.5 helped stabilize training."
- `ttur`: the two time-scale update rule of Heusel et al. 2017, "GANs trained by a two time-scale
  update rule converge to a local Nash equilibrium": the discriminator learns faster than the
  generator. Their DCGAN code (github.com/bioinf-jku/TTUR, DCGAN_FID_batched) takes the two
  rates as separate arguments with Adam beta1 0.5; the rates used here, lr_D 3e-4 and lr_G 1e-4
  (ratio 3), are the DCGAN-type setting this project was pointed to; the paper's tables were
  not re-read offline, so treat them as a TTUR setting, not the paper's exact numbers.
- `fast-digits`: this project's candidate for quick MNIST digits: the DCGAN paper's Adam for the
  generator, the discriminator at twice its rate (TTUR's idea), one-sided label smoothing 0.1
  (Salimans et al. 2016). Whether it is fastest is measured by `make recipes` (RECIPES.md).
- `digits-in-minutes`: TensorFlow-Examples' DCGAN training (the discriminator's update, then the
  generator's; batch 128, Adam 2e-3, beta1 0.5) on the tutorial's models, no dropout in the
  discriminator, the generator's moving average (docs/recipes.md, issue 20).
- `digits-in-two-minutes`: the same at batch 64 (on a CPU as many images a second, twice the
  updates), with adaptive augmentation (`options/ada.py`, Karras et al. 2020) against the
  discriminator memorising a small data set in long runs (docs/recipes.md, issue 32).
- `digits-for-long-runs`: digits-in-two-minutes made to hold over thousands of steps: ADA steered
  to the lower target 0.3 (at 0.6 it never engaged on 10,000 digits), the tutorial's dropout 0.3
  back in the discriminator and both rates decayed linearly to 0 by the run's last step
  (RECIPES.md, issue 32).
- `digits-at-batch-32`: digits-in-two-minutes at batch 32 and half its rate: on a CPU with
  bfloat16 math (`--fast`) ahead of TensorFlow-Examples' model to the tutorial's quality.
- `digits-at-batch-8`: the same at batch 8 and a quarter of the rate: with `--fast` the quickest
  recipe to the tutorial's quality on a CPU (RECIPES.md, issue 32).
"""

from __future__ import annotations

RECIPES: dict[str, dict[str, object]] = {
    "tutorial": {},  # the defaults of TrainConfig are the tutorial's
    "dcgan-paper": {"learning_rate": 2e-4, "beta1": 0.5},
    "ttur": {"learning_rate": 1e-4, "disc_learning_rate": 3e-4, "beta1": 0.5},
    "fast-digits": {
        "learning_rate": 2e-4,
        "disc_learning_rate": 4e-4,
        "beta1": 0.5,
        "label_smoothing": 0.1,
    },
    "digits-in-minutes": {
        "update": "alternating",  # D's update, then G's against the updated D
        "batch_size": 128,  # twice the updates for the same images
        "learning_rate": 2e-3,  # 20 times the tutorial's, for both nets
        "beta1": 0.5,
        "disc_dropout": 0.0,  # the tutorial's 0.3 slowed the discriminator down
        "ema_decay": 0.99,  # sample from the generator's moving average ...
        "ema_warmup": True,  # ... which forgets the starting weights at once
    },
    "digits-in-two-minutes": {  # digits-in-minutes at batch 64, and ADA for long runs
        "update": "alternating",
        "batch_size": 64,  # twice the updates again: as many images a second on a CPU
        "learning_rate": 2e-3,
        "beta1": 0.5,
        "disc_dropout": 0.0,
        "ema_decay": 0.99,
        "ema_warmup": True,
        "diff_augment": "translation,cutout",  # what ADA applies ...
        "ada_target": 0.6,  # ... only once D overfits its real images (p stays 0 until then)
    },
}
# digits-in-two-minutes that holds to the end of a long run: ADA steered to engage early, the
# tutorial's dropout back in D and both rates down to 0 at the run's last step (--steps, or
# --epochs x batches).
RECIPES["digits-for-long-runs"] = RECIPES["digits-in-two-minutes"] | {
    "ada_target": 0.3,
    "disc_dropout": 0.3,  # the tutorial's: without it D memorised the 10,000 digits late in a run
    "lr_decay": "linear",
}
# digits-in-two-minutes at batch 32: twice the updates again for the same images; at 2e-3 the
# smaller batches made one seed fall back after 40,000 images, at half that rate neither did.
RECIPES["digits-at-batch-32"] = RECIPES["digits-in-two-minutes"] | {
    "batch_size": 32,
    "learning_rate": 1e-3,
}
# ... and at batch 8: 8 times the updates of batch 64 for the same images. A step costs more per
# image (in bfloat16 on 2 cores about 275 images a second at 8, 460 at 32), but the digits need
# half the images of batch 32.
RECIPES["digits-at-batch-8"] = RECIPES["digits-in-two-minutes"] | {
    "batch_size": 8,
    "learning_rate": 5e-4,
}

# The config fields a recipe may set, and how `describe` shows them.
RECIPE_FIELDS = (
    "learning_rate",
    "disc_learning_rate",
    "beta1",
    "beta2",
    "label_smoothing",
    "disc_steps",
    "ema_decay",
    "ema_warmup",
    "lr_warmup_steps",
    "lr_decay",
    "disc_dropout",
    "spectral_norm",
    "r1_gamma",
    "r1_every",
    "diff_augment",
    "ada_target",
    "ada_max_p",
    "consistency_weight",
)


def describe(config: object) -> str:
    """One line for the start of training: the recipe and the values the run uses."""
    disc_rate = config.disc_learning_rate or config.learning_rate
    lazy = f" every {config.r1_every} D updates" if config.r1_every > 1 else ""
    beta2 = f", beta2 {config.beta2:g}" if config.beta2 != 0.999 else ""  # Keras' default: unsaid
    ema = f"EMA {config.ema_decay}" if config.ema_decay else "EMA off"
    if config.ema_decay and config.ema_warmup:
        ema += " with warm-up"
    extras = [  # the options of issue 20, named only when on
        f"lr warm-up {config.lr_warmup_steps} steps" if config.lr_warmup_steps else "",
        f"lr decay {config.lr_decay}" if config.lr_decay != "none" else "",
        f"D dropout {config.disc_dropout:g}" if config.disc_dropout is not None else "",
        "spectral norm" if config.spectral_norm else "",
        f"R1 gamma {config.r1_gamma:g}{lazy}" if config.r1_gamma else "",
        f"DiffAugment {config.diff_augment}" if config.diff_augment else "",
        f"ADA target {config.ada_target:g}" if config.ada_target else "",
        f"ADA p at most {config.ada_max_p:g}" if config.ada_max_p < 1 else "",
        f"consistency {config.consistency_weight:g}" if config.consistency_weight else "",
    ]
    return (
        f"Recipe {config.recipe}: Adam lr G {config.learning_rate:g} / D {disc_rate:g}, "
        f"beta1 {config.beta1:g}{beta2}, label smoothing {config.label_smoothing:g}, "
        f"{config.disc_steps} D step(s) per G step, {ema}"
        + "".join(f", {extra}" for extra in extras if extra)
    )
