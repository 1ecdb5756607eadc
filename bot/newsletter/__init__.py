"""The newsletter itself, without Telegram or SQL: its model, its files, its text."""
