"""dcgan_tf: the TensorFlow DCGAN tutorial (MNIST digits) as a package you can run, resume and test.

Reading order: `tutorial/` (the notebook: data pipeline, models, losses, train step, grids and
GIF), then `training/loop.py` (its `train`) and `training/steps.py` (how a step runs), then
`generate.py` (the command). Each other folder holds one concern; a module imports only from
its own folder and the ones below it:

    common/      errors, atomic files, progress bar, signals, the loop's Hook protocol
    config/      TrainConfig (the tutorial's numbers as defaults), recipes, model presets
    tutorial/    the notebook's own parts
    data/        where the digits come from: tensorflow-datasets, IDX/.npz files, a folder
    models/      the other GANs of the course material, and how the loop sees any model
    options/     what changes the models or the step: precision, EMA, alternating update, ...
    run/         what a run keeps on disk: checkpoints, workdir, recovery, locks, going back
    training/    the loop, the step factory, tf.distribute
    generator/   loading a trained generator and drawing from it; the exported signature
    evaluation/  FID and classifier score in a digit classifier's feature space
    reporting/   TensorBoard summaries, the run journal, the HTML report
    tools/       `make bench` and `make recipes`; no training run imports them

The commands sit at the top: generate, evaluate, sample, interpolate, sweep, export, report,
quality, bench, recipes_bench (and cli.py, which they share).

The Python API (docs/python-api.md), imported on first use so that `import dcgan_tf` stays
light (no TensorFlow):

    configure(recipe, **values)    a TrainConfig: a recipe, then values that win (api.py)
    load_images(dataset, split)    the data the commands load: uint8 images and labels
    train(config, ...)             the loop of `generate`; resumes; Ctrl-C returns the run
    open_run(checkpoint_dir)       a TrainedRun: images, grid, interpolate, evaluate, export
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# Public name -> the module that holds it, imported when the name is first used (PEP 562).
API = {
    "configure": "dcgan_tf.api",
    "load_images": "dcgan_tf.api",
    "train": "dcgan_tf.api",
    "TrainConfig": "dcgan_tf.config",
    "TrainedRun": "dcgan_tf.trained_run",
    "open_run": "dcgan_tf.trained_run",
    "picture": "dcgan_tf.trained_run",
    "ModelSpec": "dcgan_tf.models.specs",
    "Hook": "dcgan_tf.run.hooks",
    "UserError": "dcgan_tf.common.errors",
}
__all__ = ["__version__", *API]


def __getattr__(name: str) -> object:
    if name not in API:
        raise AttributeError(f"module 'dcgan_tf' has no attribute {name!r}")
    return getattr(import_module(API[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
