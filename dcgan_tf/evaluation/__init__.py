"""Measuring quality: FID, classifier score, precision/recall and digit shares in a small digit
classifier's feature space, during training (--eval-every) and by `python -m dcgan_tf.evaluate`."""
