"""Objectives and key results owned by a channel, tied to the lessons and actions that
serve them."""
