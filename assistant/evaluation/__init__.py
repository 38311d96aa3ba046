"""Evaluation of the answers and retrieval on real data."""
