"""dcgan_tf: the TensorFlow DCGAN tutorial (MNIST digits) as a package you can run, resume and test.

Reading order: config, readers, data, models, variants, losses, checkpoints, images, history,
progress, train_step, training, devices, cli, generate (the training CLI); then metrics,
classifier, evaluation, evaluate (the evaluation CLI) and quality (`make quality`); then
sampling, sample and interpolate (using a trained generator).
"""

__version__ = "0.1.0"
