"""dcgan_tf: the TensorFlow DCGAN tutorial (MNIST digits) as a package you can run, resume and test.

Reading order: `tutorial/` (the notebook: data pipeline, models, losses, optimizers, train step,
grids and GIF), then `training/loop.py` (its `train`) and `training/steps.py` (how a step runs),
then `generate.py` (the command).

The user's commands sit at the top, each `python -m dcgan_tf.NAME` (docs/layout.md):

    generate.py      train the tutorial's DCGAN (or another model), resume it, rebuild its GIF
    evaluate.py      measure a generator's samples, or any images, against real digits
    sample.py        draw new images from a trained generator
    interpolate.py   walk the latent space between pairs of points (`interpolate sweep`: sweep.py)
    sweep.py         the latent sweep ("Z changes"), and "X changes" for a conditional model
    export.py        the generator as a SavedModel and a Keras file
    report.py        rewrite a run's one-page report, OUT/report.html
    explore.py       a run's generator in the browser
    cli.py           what every command shares: a quiet TensorFlow start, one-line errors
    api.py           the Python API's training half: configure, load_images, train
    trained_run.py   the Python API's TrainedRun: a trained run's images, grid, walks, export

Each folder holds one concern; a module imports only from its own folder and the ones listed
before it:

    common/      errors, atomic files, limits, progress bar, signals, line plots
    config/      TrainConfig (the tutorial's numbers as defaults), recipes, model presets
    tutorial/    the notebook's own parts
    data/        where the digits come from: tensorflow-datasets, IDX/.npz files, a folder
    models/      the other GANs of the course material, and how the loop sees any model
    options/     what changes the models or the step: precision, EMA, alternating update, ...
    run/         a run's state, hooks and what it keeps on disk: checkpoints, workdir,
                 recovery, locks, going back
    training/    the loop, the progress grids, the step factory, one device or tf.distribute
    generator/   loading a trained generator and drawing from it; the exported signature
    evaluation/  FID and classifier score in a digit classifier's feature space
    reporting/   TensorBoard summaries, the run journal, the HTML report
    explorer/    the browser app of `explore`: its engine, latent directions, JSON API, server
    tools/       the maintainers' commands, `python -m dcgan_tf.tools.NAME`: bench, quality,
                 recipes_bench, time_to_quality, explore_bench (`make bench` and the like), and
                 their parts; no user's command imports them

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
