"""Each course model's own training habits, as the flags they fill: `--model NAME` picks them up
for every flag not given (flags given win; `TrainConfig.for_model`)."""

from __future__ import annotations

# Where a model's own recipe differs from the tutorial's defaults (flags given still win).
MODEL_PRESETS: dict[str, dict] = {
    # The course material's one-hidden-layer GAN: batch 128, Adam's defaults, counted in steps.
    "gan": {
        "batch_size": 128,
        "learning_rate": 1e-3,
        "steps": 100_000,
        "snapshot_steps": (0, 10_000, 60_000),
        # Its code runs sess.run(D_solver), then sess.run(G_solver), new noise for each.
        "update": "alternating",
    },
    # aymericdamien/TensorFlow-Examples, examples/3_NeuralNetworks/dcgan.py (batch-norm version):
    # num_steps = 10000, batch_size = 128, lr_generator = lr_discriminator = 0.002,
    # AdamOptimizer(..., beta1=0.5, beta2=0.999); each step trains the discriminator, then the
    # generator, each on its own z = np.random.uniform(-1., 1., size=[batch_size, noise_dim]).
    "tfexamples": {
        "batch_size": 128,
        "learning_rate": 0.002,
        "beta1": 0.5,
        "steps": 10_000,
        "update": "alternating",
    },
    # carpedm20/DCGAN-tensorflow main.py flags: epoch 25, learning_rate 0.0002, beta1 0.5,
    # batch_size 64; model.py trains D on (batch, batch_z), then runs g_optim twice ("to make
    # sure that d_loss does not go to zero"), every run fed the same batch_z.
    "carpedm20": {
        "batch_size": 64,
        "learning_rate": 2e-4,
        "beta1": 0.5,
        "epochs": 25,
        "update": "alternating",
        "gen_steps": 2,
        "gen_noise": "same",
    },
    # The PyTorch DCGAN recipe: batch 128, Adam(lr=0.0002, betas=(0.5, 0.999)), 5 epochs; D
    # learns on a real and a fake batch, then G on the same fakes against the updated D.
    "pytorch": {
        "batch_size": 128,
        "learning_rate": 2e-4,
        "beta1": 0.5,
        "epochs": 5,
        "update": "alternating",
        "gen_noise": "same",
    },
}
