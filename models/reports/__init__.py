"""Post-mortem documents and programme-board summaries."""
