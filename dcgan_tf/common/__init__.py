"""What every layer shares and nothing here depends on: errors with an exit status, atomic file
writes, resource limits, the progress bar, signal handling and line plots."""
