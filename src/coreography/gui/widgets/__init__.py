"""One widget per file; each receives the model it shows."""
