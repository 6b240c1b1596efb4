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
"""

__version__ = "0.1.0"
