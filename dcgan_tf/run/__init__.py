"""Everything a run keeps on disk and survives with: checkpoints (models, optimizers, counters),
damaged-checkpoint recovery, folder locks, going back to a kept epoch, the loss history and the
best checkpoint."""
