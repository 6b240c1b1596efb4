"""Measuring quality: FID, classifier score, precision/recall and digit shares in a small digit
classifier's feature space; for other pictures, FID and KID in Inception-v3's; during training
(--eval-every) and by `python -m dcgan_tf.evaluate`."""
