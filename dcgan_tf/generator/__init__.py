"""What uses a trained generator: loading a run's generator and drawing from it
and the exported SavedModel's serving signature."""
