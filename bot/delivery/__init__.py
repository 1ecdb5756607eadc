"""The durable outbox's sender: pacing under Telegram's limits, answers classified, resumable."""
