"""Guided blameless post-mortems: steps, replies, closing."""
