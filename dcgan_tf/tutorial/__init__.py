"""The notebook itself: read these five files to see the TensorFlow DCGAN tutorial, stage by stage.

    dataset.py      scale the digits to [-1, 1], shuffle and batch them
    models.py       make_generator_model, make_discriminator_model
    losses.py       generator_loss, discriminator_loss (binary cross-entropy on logits)
    train_step.py   make_train_step: the notebook's @tf.function train_step, which the loop runs
    images.py       generate_and_save_images (the per-epoch grid) and build_gif

The loop around them (`train`) is in `dcgan_tf/training/loop.py`; the optimizers and the
checkpoint in `dcgan_tf/run/checkpoints.py` (`build_state`).
"""
