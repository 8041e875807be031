"""Benchmarks of Cocreate: `python bench/votes.py` and `python bench/results.py`."""
