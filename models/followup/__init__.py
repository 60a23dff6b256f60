"""Follow-through: review meetings on a cadence, reminders, agendas, nudges."""
