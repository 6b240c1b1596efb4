"""`python -m dcgan_tf.explore`: a trained generator in the browser (docs/exploring.md)."""
