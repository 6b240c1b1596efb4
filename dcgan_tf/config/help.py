"""The `--help` line of each `TrainConfig` field: `python -m dcgan_tf.generate --help` shows them.

One entry per field (building the parser fails on a field without one); `%(default)s` is the
field's default, as argparse fills it in.
"""

HELP = {
    "epochs": "train until this many epochs are done; rerunning resumes (default: %(default)s)",
    "batch_size": "images per train step (default: %(default)s)",
    "learning_rate": "Adam learning rate of both nets (default: %(default)s)",
    "noise_dim": "length of the generator's noise vector (default: %(default)s)",
    "dataset": "which digits or clothes (default: %(default)s)",
    "data_dir": "read the data offline from DIR: the split's two IDX files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz; t10k-* for test; gzipped or "
    "not) or Keras' <dataset>.npz; without it, tensorflow-datasets downloads the data",
    "split": "which split to train on (default: %(default)s)",
    "out": "folder for epoch grids, dcgan.gif, losses.csv/png, config.json (default: %(default)s)",
    "checkpoint_dir": "folder of the checkpoints ckpt-N; resumes from the newest "
    "(default: %(default)s)",
    "save_every": "checkpoint every N epochs; always at the end and on Ctrl-C "
    "(default: %(default)s; the tutorial used 15)",
    "seed": "random seed of weights, shuffling, noise and dropout (default: %(default)s)",
    "fresh": "start over: move the old checkpoints and images into old-<time>/ folders",
    "device": "auto uses the GPU when TensorFlow sees one (default: %(default)s)",
    "eval_every": "every N epochs, measure FID and classifier score into OUT/quality.csv and "
    "quality.png; trains the digit classifier first if it is not in CHECKPOINT_DIR "
    "(default: %(default)s, never)",
    "eval_samples": "samples per measurement of --eval-every (default: %(default)s)",
    "model": "dcgan: the tutorial's; cdcgan: conditioned on the digit label; gan: the course's "
    "one-hidden-layer GAN, whose preset is --batch-size 128 --learning-rate 0.001 --steps 100000 "
    "--snapshot-steps 0,10000,60000; tfexamples, carpedm20, pytorch: the course's other DCGANs, "
    "each with its own code's settings as a preset (README: Other models) (default: %(default)s)",
    "gen_loss": "non-saturating: -log D(G(z)), the tutorial's; minimax: log(1 - D(G(z))), the "
    "original GAN's (default: %(default)s)",
    "channels": "1 gray, 3 RGB (with --dataset folder) (default: %(default)s)",
    "steps": "train until this many steps are done instead of --epochs (default: 0, off)",
    "snapshot_steps": "also save OUT/image_at_step_N.png after these steps, e.g. 0,10000,60000 "
    "(0: before training)",
    "precision": "float32: the tutorial's; mixed_bfloat16 / mixed_float16: 16-bit layers with "
    "float32 variables, logits and losses (float16 with loss scaling); checkpoints restore "
    "across precisions (default: %(default)s)",
    "jit_compile": "compile the train step with XLA",
    "steps_per_call": "run up to K train steps inside one tf.function call; same results as K "
    "single steps (default: %(default)s)",
    "fast": "the fastest measured set of --precision/--jit-compile/--steps-per-call for the "
    "device in use (see BENCHMARKS.md); flags given explicitly win",
    "keep_every": "keep every Nth epoch's checkpoint for good, as CHECKPOINT_DIR/kept/epoch-NNNN, "
    "besides the newest three (default: %(default)s, off)",
    "resume_from": "continue from this checkpoint (e.g. CHECKPOINT_DIR/kept/epoch-0019) in the "
    "current folders: newer checkpoints and later images are moved into old-<time>/ folders, the "
    "loss history is cut back to it; a one-time jump: rerun without it to continue",
    "tensorboard": "write losses, images/s, grids, quality and the config into OUT/tensorboard "
    "for `tensorboard --logdir OUT/tensorboard` (default: on; --no-tensorboard: off)",
    "update": "simultaneous: the tutorial's, both nets from one forward pass; alternating: the "
    "discriminator's update first, then the generator's against it (the gan, tfexamples, "
    "carpedm20 and pytorch presets) (default: %(default)s)",
    "gen_steps": "generator updates per discriminator update, with --update alternating "
    "(carpedm20's preset: 2) (default: %(default)s)",
    "gen_noise": "with --update alternating: fresh: each generator update draws new noise; same: "
    "it reuses the discriminator's noise batch (carpedm20, pytorch) (default: %(default)s)",
    "beta1": "Adam beta_1 of both optimizers (default: %(default)s, Keras'; the DCGAN recipes "
    "use 0.5)",
    "beta2": "Adam beta_2 of both optimizers (default: %(default)s, Keras')",
    "recipe": "a named set of flag values (see docs/recipes.md): tutorial (today's defaults), "
    "dcgan-paper (Adam 2e-4, beta1 0.5), ttur (D 3e-4, G 1e-4, beta1 0.5), fast-digits "
    "(G 2e-4, D 4e-4, beta1 0.5, label smoothing 0.1), digits-in-minutes (alternating update, "
    "batch 128, Adam 2e-3, beta1 0.5, no dropout in D, EMA 0.99 with warm-up), "
    "digits-in-two-minutes (the same at batch 64, with adaptive augmentation), "
    "digits-for-long-runs (the same, ADA target 0.3, the tutorial's dropout 0.3 in D, the rates "
    "decayed linearly to 0 by the run's end), digits-at-batch-32 (digits-in-two-minutes at "
    "batch 32, Adam 1e-3), digits-at-batch-8 (the same at batch 8, Adam 5e-4: with --fast the "
    "quickest recipe to good digits on a CPU with bfloat16 math); flags given win "
    "(default: %(default)s)",
    "disc_learning_rate": "Adam learning rate of the discriminator (default: --learning-rate)",
    "ema_decay": "keep an exponential moving average of the generator's weights with this "
    "decay (e.g. 0.999) and draw grids, samples and evaluations with it (default: 0, off)",
    "label_smoothing": "one-sided label smoothing: the discriminator's targets for real images "
    "are 1 - S (default: 0, off)",
    "disc_steps": "K discriminator updates per generator update: every batch updates the "
    "discriminator, every K-th batch also the generator (default: %(default)s)",
    "lr_warmup_steps": "raise both learning rates linearly from 0 over the first N steps "
    "(default: 0, off)",
    "lr_decay": "take both learning rates down to 0 by the run's last step (--steps, or --epochs "
    "x batches), linearly or along a half cosine (default: %(default)s)",
    "ema_warmup": "with --ema-decay D: the decay after n updates is min(D, (1 + n) / (10 + n)), "
    "as TensorFlow's ExponentialMovingAverage with num_updates, so the average soon forgets "
    "the starting weights",
    "disc_dropout": "the discriminator's dropout rate (default: the model's; the tutorial's 0.3)",
    "spectral_norm": "spectrally normalise the discriminator's Conv2D and Dense layers (Keras' "
    "SpectralNormalization)",
    "r1_gamma": "add the R1 penalty gamma/2 * |grad of D at the real images|^2 to the "
    "discriminator's loss (default: 0, off)",
    "r1_every": "with --r1-gamma: add the penalty on every Nth discriminator update only, N "
    "times as strong (StyleGAN2's lazy regularization: the same pull at 1/N of its cost) "
    "(default: %(default)s, every update)",
    "diff_augment": "differentiable augmentation of every image the discriminator sees, real "
    "and fake: a comma-separated list of translation, cutout, color (brightness, saturation, "
    "contrast), e.g. translation,cutout; with --ada-target, each image with "
    "probability p (default: off)",
    "ada_target": "adaptive augmentation (ADA, Karras et al. 2020): apply --diff-augment's "
    "policy to each image with a probability p that rises while the discriminator's mean sign "
    "on the real images is above this target (the paper's 0.6) and falls while below "
    "(default: 0, off)",
    "ada_max_p": "with --ada-target: the highest p the steering may reach (default: "
    "%(default)s, no cap)",
    "consistency_weight": "balanced consistency regularisation (bCR, Zhao et al. 2021): add L * "
    "(D(x) - D(T(x)))^2 over the real and over the fake batch to the discriminator's loss, T "
    "a fresh draw of --diff-augment's policy (the paper's L: 10) (default: 0, off)",
    "until_fid": "with --eval-every: end the run at the first measured FID at or below X; "
    "--epochs/--steps become the most it may take (default: 0, off)",
    "strategy": "tf.distribute strategy: auto is MirroredStrategy over all GPUs when there are "
    "several, else default (one device); mirrored: this host's GPUs (without GPUs: its logical "
    "CPUs); multiworker: the hosts of TF_CONFIG. --batch-size stays the global batch "
    "(default: %(default)s)",
    "sync_batch_norm": "with several replicas, batch norm uses the statistics of the global "
    "batch instead of each replica's part (Keras' synchronized=True)",
    "image_size": "S: train on S x S pictures; a --dataset folder's pictures are center-cropped "
    "and resized to S, MNIST and Fashion-MNIST upscaled to S, both with Lanczos filtering "
    "(see docs/data.md) (default: %(default)s, the tutorial's)",
    "crop": "with --dataset folder: cut a centered N x N square out of each picture before "
    "resizing it (carpedm20's center crop, e.g. 108 for CelebA) (default: 0, the largest "
    "centered square)",
    "cache_dir": "where a --dataset folder is prepared once into a .npy of S x S pictures and "
    "read back from on later runs (default: CHECKPOINT_DIR/data-cache)",
    "inception_weights": "with --dataset folder and --eval-every: Inception-v3's ImageNet "
    "weights for FID and KID, the file inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 "
    "or a folder holding it (default: Keras' cache ~/.keras/models/, downloaded there once "
    "when online; missing offline, the run goes on without FID and KID)",
}
