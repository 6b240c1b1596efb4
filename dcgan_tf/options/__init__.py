"""Options that change the models or the step, each in its own module; off by default.

losses.py          --gen-loss minimax, --label-smoothing, two-class D, a replica's share
precision.py       --precision: 16-bit layers, float32 variables; float16 loss scaling
ema.py             --ema-decay, --ema-warmup: the moving average of the generator's weights
schedule.py        --lr-warmup-steps, --lr-decay: the rates set inside the train step
discriminator.py   --disc-dropout, --spectral-norm
r1.py              --r1-gamma: the R1 penalty on real images
diff_augment.py    --diff-augment: translation, cutout, colour of every image D sees
ada.py             --ada-target: the same, each image with a probability steered by D's overfitting
consistency.py     --consistency-weight: D asked for the same verdict on an augmented image (bCR)
alternating.py     --update alternating: D's update, then G's (the course models' order)
fast.py            --fast: the fastest measured speed options for the device
devices.py         --device: CPU or GPU, GPU memory growth
"""
