"""Probes that need real weights and real tensors: activations, effective fields, latency, weight files."""
