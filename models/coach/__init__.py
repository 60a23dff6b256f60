"""The blameless coach: reading blame in replies and offering a reframe."""
