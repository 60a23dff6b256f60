"""Actions: owners, target dates, status and history."""
