"""The benchmark (`make bench`) and recipe (`make recipes`) tooling; no training run imports it."""
