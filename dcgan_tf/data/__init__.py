"""Where the digits come from: tensorflow-datasets, IDX or Keras' .npz files offline,
or a folder of your own pictures (prepared once into a cache: `picture_cache.py`). Every source
gives uint8 images (N, S, S) and labels, S = --image-size (28: the digits' own size)."""
