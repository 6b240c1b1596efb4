"""The maintainers' commands, each `python -m dcgan_tf.tools.NAME` behind a `make` target, and
their parts; no training run and no user's command imports them.

bench.py                    make bench: dcgan_tf's speed beside the notebook's loop (BENCHMARKS.md)
bench_cases.py              one benchmark case in a fresh process, printing JSON
bench_baseline.py           the benchmark's yardstick: the notebook's own training loop
bench_report.py             BENCHMARKS.md from one `make bench` run
bench_steps.py              the `steps` case: train steps taking turns, with their memory and work
bench_sizes.py              BENCHMARKS.md's "Picture sizes": dcgan and pytorch at 28 to 128 pixels
flops.py                    the floating-point work of one train step, from the layer shapes
flops_report.py             that count as BENCHMARKS.md shows it, and this machine's matmul peak
quality.py                  make quality: train the tutorial's DCGAN, write QUALITY.md
recipes_bench.py            make recipes: train each recipe, write RECIPES.md and its plot
curves.py                   make recipes' record of a run: each measurement and the time before it
recipes_report.py           RECIPES.md and its plot from those curves
time_to_quality.py          make time-to-quality: every recipe and model raced to the tutorial's FID
time_to_quality_report.py   the race's stopping rule, table and plot
explore_bench.py            make bench-explore: a slider move's time in headless Chromium
browser.py                  headless Chromium driven by Selenium (also the browser tests)
"""
