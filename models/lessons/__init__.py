"""Lessons (keep and improve), the library and its search, recurring lessons."""
