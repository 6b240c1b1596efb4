"""Seeing a run: TensorBoard summaries, the run journal and the one-page HTML report."""
