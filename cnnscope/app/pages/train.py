"""Train: placeholder replaced below once the training API is wired."""
