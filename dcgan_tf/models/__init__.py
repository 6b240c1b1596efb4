"""The other GANs of the course material and how every model is described to the loop.

specs.py        ModelSpec: a model's builders, noise and pixel range; MODEL_SPECS by name
conditional.py  cdcgan: the tutorial's models, also given the digit
mlp.py          gan: the one-hidden-layer GAN
course.py       tfexamples, carpedm20: two of the course's other DCGANs
pytorch.py      pytorch: the PyTorch DCGAN tutorial's pair, at 28, 32, 64 and 128 pixels
"""
