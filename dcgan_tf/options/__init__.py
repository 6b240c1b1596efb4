"""Options that change the models or the step, each in its own module; off by default.

precision.py    --precision: 16-bit layers, float32 variables; float16 loss scaling
ema.py          --ema-decay: the moving average of the generator's weights
alternating.py  --update alternating: D's update, then G's (the course models' order)
fast.py         --fast: the fastest measured speed options for the device
devices.py      --device: CPU or GPU, GPU memory growth
"""
