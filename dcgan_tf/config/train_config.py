"""The run configuration: one frozen dataclass whose defaults are the tutorial's numbers.

Every CLI flag of `python -m dcgan_tf.generate` maps onto one field; the config of a run is saved as
`config.json` beside its images and beside its checkpoints, so a checkpoint carries its own config.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.config.checks import check_config
from dcgan_tf.config.presets import MODEL_PRESETS
from dcgan_tf.config.recipes import RECIPES


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 50  # tutorial EPOCHS; "train until this many epochs are done"
    batch_size: int = 256  # tutorial BATCH_SIZE
    learning_rate: float = 1e-4  # tutorial Adam(1e-4), for each net
    noise_dim: int = 100  # tutorial noise_dim
    dataset: str = "mnist"  # tfds name mnist | fashion_mnist, or folder (your own images)
    data_dir: str | None = None  # read IDX / .npz files from here instead of tensorflow-datasets
    split: str = "train"  # train (60,000 images) | test (10,000)
    out: str = "output"  # per-epoch grids, GIF, losses.csv/png, config.json
    checkpoint_dir: str = "checkpoints"  # tutorial: ./training_checkpoints, prefix "ckpt"
    save_every: int = 1  # epochs between checkpoints (the tutorial saves every 15)
    seed: int = 0  # seeds weights, shuffling, noise and dropout: same seed, same run
    fresh: bool = False  # start over; old checkpoints and images are moved aside, not deleted
    device: str = "auto"  # auto (GPU when TensorFlow sees one) | cpu | gpu
    eval_every: int = 0  # epochs between FID / classifier-score measurements (0: never)
    eval_samples: int = 5000  # samples per measurement during training
    model: str = "dcgan"  # dcgan (the tutorial) | cdcgan (conditional) | gan (one hidden layer)
    gen_loss: str = "non-saturating"  # -log D(G(z)), the tutorial's | minimax: log(1 - D(G(z)))
    channels: int = 1  # 1 gray | 3 RGB (with --dataset folder)
    steps: int = 0  # train until this many steps are done instead of --epochs (0: off)
    snapshot_steps: tuple[int, ...] = ()  # also save a grid after these steps (0: before any)
    # Speed: each changes how fast a step runs, not what it computes (see steps.py, BENCHMARKS.md).
    precision: str = "float32"  # float32 (tutorial) | mixed_bfloat16 | mixed_float16
    jit_compile: bool = False  # compile the train step with XLA
    steps_per_call: int = 1  # train steps inside one tf.function call
    fast: bool = False  # the best measured speed options for the device (fills the three above)
    # Going back to an older epoch (dcgan_tf/run/going_back.py):
    keep_every: int = 0  # keep every Nth epoch's checkpoint in CHECKPOINT_DIR/kept/ (0: off)
    resume_from: str | None = None  # continue from this checkpoint; newer ones are moved aside
    # Seeing a run (issue 10):
    tensorboard: bool = True  # write TensorBoard summaries into OUT/tensorboard (--no-tensorboard)
    # The course's models, trained as their own code trains them (issue 11; steps.py, train_step).
    update: str = "simultaneous"  # simultaneous: the tutorial's one tape | alternating: D, then G
    gen_steps: int = 1  # generator updates per discriminator update (alternating only)
    gen_noise: str = "fresh"  # alternating: G's noise a fresh batch, or the same as D's
    beta1: float = 0.9  # Adam beta_1 of both optimizers (Keras' default; DCGAN recipes use 0.5)
    beta2: float = 0.999  # Adam beta_2 of both optimizers (Keras' default)
    # Recipes (issue 8): named value sets (recipes.py) and options orthogonal to them.
    recipe: str = "tutorial"  # which named set of the values below fills the flags not given
    disc_learning_rate: float | None = None  # the discriminator's Adam rate (None: --learning-rate)
    ema_decay: float = 0.0  # moving average of the generator's weights for sampling (0: off)
    label_smoothing: float = 0.0  # one-sided: the discriminator's real targets are 1 - S
    disc_steps: int = 1  # discriminator updates per generator update
    # Digits in minutes (issue 20, RECIPES.md): training options the tutorial does not have.
    lr_warmup_steps: int = 0  # both rates rise linearly from 0 over the first N steps (0: off)
    lr_decay: str = "none"  # none | linear | cosine: both rates fall to 0 by the run's end
    ema_warmup: bool = False  # EMA decay min(D, (1 + n) / (10 + n)) after n updates, as TF's
    disc_dropout: float | None = None  # the discriminator's dropout rate (None: the model's)
    spectral_norm: bool = False  # spectral normalisation of the discriminator's layers
    r1_gamma: float = 0.0  # R1 penalty gamma / 2 * |grad D(real)|^2 on D's loss (0: off)
    r1_every: int = 1  # R1 on every Nth D update only, N times as strong (StyleGAN2's lazy R1)
    diff_augment: str = ""  # e.g. translation,cutout: augment all images D sees ("": off)
    ada_target: float = 0.0  # adaptive: each image augmented with a p steered by D (0: off)
    ada_max_p: float = 1.0  # the highest p ADA may steer to (1: no cap)
    consistency_weight: float = 0.0  # bCR: L * (D(x) - D(T(x)))^2 on D's loss, T augments (0: off)
    until_fid: float = 0.0  # with --eval-every: stop at the first FID at or below this (0: off)
    # Scaling out (distribute.py): --batch-size stays the global batch, split over the replicas.
    strategy: str = "auto"  # auto (all GPUs if several) | default | mirrored | multiworker
    sync_batch_norm: bool = False  # batch norm over the global batch, not each replica's part
    # Pictures at other sizes (issue 29; data/pictures.py, data/picture_cache.py).
    image_size: int = 28  # S: the pictures are S x S (folders resized, MNIST upscaled)
    crop: int = 0  # --dataset folder: center crop of N pixels before resizing (0: largest square)
    cache_dir: str | None = None  # a folder's prepared pictures (None: CHECKPOINT_DIR/data-cache)
    # Quality of pictures that are not digits (issue 29; evaluation/inception.py).
    inception_weights: str | None = None  # Inception-v3's no-top .h5, or its folder (None: Keras')

    def picture_cache(self, checkpoint_dir: str | Path | None = None) -> Path:
        """Where a folder's prepared pictures live: --cache-dir, else the run's checkpoint folder
        (`checkpoint_dir` where the run is now, or --checkpoint-dir) / data-cache."""
        return Path(self.cache_dir or Path(checkpoint_dir or self.checkpoint_dir) / "data-cache")

    @classmethod
    def for_model(cls, **given: object) -> TrainConfig:
        """The config of `given` flags, with the model's preset for the flags not given."""
        preset = dict(MODEL_PRESETS.get(str(given.get("model", cls.model)), {}))
        if "epochs" in given:  # asking for epochs overrides a preset counted in steps
            preset.pop("steps", None)
        recipe = str(given.get("recipe", cls.recipe))
        if recipe not in RECIPES:
            raise UserError(f"unknown --recipe {recipe!r}; choose one of: {', '.join(RECIPES)}")
        return cls(**{**preset, **RECIPES[recipe], **given})  # flags given win over both

    def __post_init__(self) -> None:
        check_config(self)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """The config of a `config.json`; valid JSON of the wrong shape is a TypeError too."""
        values = json.loads(text)
        if not isinstance(values, dict):
            raise TypeError(f"a JSON object was expected, not {type(values).__name__}")
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values = {k: v for k, v in values.items() if k in kinds}
        for name, value in values.items():
            if not json_value_fits(kinds[name], value):
                raise TypeError(f"{name} is {value!r}, not of type {kinds[name]}")
        if "snapshot_steps" in values:  # JSON has lists, the config tuples
            values["snapshot_steps"] = tuple(values["snapshot_steps"])
        return cls(**values)


JSON_TYPES = {"int": int, "float": (int, float), "str": str, "bool": bool}
JSON_TYPES |= {"str | None": (str, type(None)), "float | None": (int, float, type(None))}


def json_value_fits(kind: str, value: object) -> bool:
    """Whether a JSON value may stand for a field of type `kind` (true/false are no numbers)."""
    if kind == "tuple[int, ...]":
        return isinstance(value, list) and all(json_value_fits("int", v) for v in value)
    return isinstance(value, JSON_TYPES[kind]) and (kind == "bool" or not isinstance(value, bool))


def load_saved_config(directory: str | Path) -> TrainConfig | None:
    """The `config.json` saved in `directory`, or None when there is none."""
    path = Path(directory) / "config.json"
    if not path.exists():
        return None
    try:
        return TrainConfig.from_json(path.read_text())
    except (ValueError, TypeError, OSError) as err:  # JSONDecodeError is a ValueError
        raise UserError(f"{path}: not a readable run config ({err})") from None


def save_config(config: TrainConfig, directory: str | Path) -> Path:
    """Write `config.json` into `directory` (atomically: a killed run never leaves half a file)."""
    return write_atomic(Path(directory) / "config.json", config.to_json().encode())
