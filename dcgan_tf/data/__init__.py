"""Where the digits come from: tensorflow-datasets, IDX or Keras' .npz files offline,
or a folder of your own pictures. Every source gives uint8 images (N, 28, 28) and labels."""
