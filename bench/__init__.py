"""Benchmarks of Calx (``make bench``): results printed as tables, with ratios to a baseline."""
