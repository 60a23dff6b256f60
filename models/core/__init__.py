"""What every feature stands on: time, the database, the inbox and outbox, text, privacy."""
