"""The notebook itself: read these six files to see the TensorFlow DCGAN tutorial, stage by stage.

    dataset.py      scale the digits to [-1, 1], shuffle and batch them
    models.py       make_generator_model, make_discriminator_model
    losses.py       generator_loss, discriminator_loss (binary cross-entropy on logits)
    optimizers.py   make_optimizers: one Adam(1e-4) for each model
    train_step.py   make_train_step: the notebook's @tf.function train_step, which the loop runs
    images.py       the 4x4 grid of generate_and_save_images, and build_gif

The loop around them (`train`) is in `dcgan_tf/training/loop.py`, the grid after each epoch in
`training/grids.py`; the run's state (models, optimizers, counters) in `dcgan_tf/run/state.py`
and its checkpoint in `run/checkpoints.py`.
"""
