"""The loop and how a step runs.

loop.py         train(): the notebook's `train`, epoch by epoch, with hooks and checkpoints
steps.py        the step factory: the tutorial's train step, or its XLA / K-steps / 16-bit forms
distribute.py   --strategy: the same step on several devices or hosts (tf.distribute)
replicas.py     what runs on each replica under a strategy
"""
