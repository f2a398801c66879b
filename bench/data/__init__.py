"""Synthetic data for the benchmarks: names across scripts and the planted people (names.py), alert,
suspect and lead bodies with their sharing rules (bodies.py). Seeded, so every run loads the same data."""
