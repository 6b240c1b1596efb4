"""What a run is and keeps on disk: its state (models, optimizers, counters), its checkpoints,
the hooks that work beside its loop, damaged-checkpoint recovery, folder locks, going back to a
kept epoch, the loss history and the best checkpoint."""
