"""The loop and how a step runs.

loop.py         train(): the notebook's `train`, epoch by epoch, with hooks and checkpoints
grids.py        ProgressGrids: the notebook's grid after each epoch, and the GIF at the end
augment_log.py  --ada-target: the augmentation probability after each epoch
placement.py    where a run trains: one device, or a tf.distribute strategy's replicas
steps.py        the step factory: the tutorial's train step, or its XLA / K-steps / 16-bit forms
distribute.py   --strategy: which tf.distribute strategy, made once per process
replicas.py     what runs on each replica under a strategy
"""
