"""Options on the discriminator's layers: `--disc-dropout R` and `--spectral-norm`.

Both leave the layers and their trained parameters as the model defines them:
- `--disc-dropout R` sets the rate of every Dropout layer (the tutorial's: 0.3, after each
  convolution); 0 switches dropout off.
- `--spectral-norm` (Miyato et al. 2018, "Spectral normalization for GANs") wraps each Conv2D
  and Dense layer in Keras' `SpectralNormalization`, which keeps the layer's largest singular
  value at 1 by one power iteration per training call: the discriminator's slope is bounded,
  so its gradients to the generator cannot explode. Keras' wrapper divides the kernel itself by
  its estimated norm in place (no gradient flows through the norm, unlike the paper), and adds
  one non-trained vector per wrapped layer (the power iteration's), saved in each checkpoint.
"""

from __future__ import annotations

import keras
from keras import layers

from dcgan_tf.common.errors import UserError


def set_dropout(model: keras.Model, rate: float) -> None:
    """Every Dropout layer of `model` drops `rate` of its inputs from now on. A model without
    one already drops nothing: 0 (a recipe's "no dropout") leaves it as it is."""
    dropouts = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
    if not dropouts and rate:
        raise UserError(f"--disc-dropout: the {model.name} has no Dropout layer")
    for layer in dropouts:
        layer.rate = rate


def with_spectral_norm(model: keras.Model) -> keras.Sequential:
    """The same Sequential model (the same layer objects and weights) with each Conv2D and
    Dense layer spectrally normalised."""
    if not isinstance(model, keras.Sequential):
        raise UserError(f"--spectral-norm works on Sequential discriminators, not the {model.name}")
    wrapped = [
        layers.SpectralNormalization(layer)
        if isinstance(layer, (layers.Conv2D, layers.Dense))
        else layer
        for layer in model.layers
    ]
    return keras.Sequential([keras.Input(shape=model.input_shape[1:]), *wrapped], name=model.name)
