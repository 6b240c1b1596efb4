"""What every layer shares and nothing here depends on: errors with an exit status, atomic file
writes, the progress bar, signal handling and the loop's `Hook` protocol."""
