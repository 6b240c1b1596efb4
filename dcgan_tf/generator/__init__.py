"""What uses a trained generator: loading a run's generator and drawing from it (the images, walks
and sweeps of the Python API's TrainedRun), its export and the exported SavedModel's signature."""
