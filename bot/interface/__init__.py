"""What Telegram shows: commands and menus, buttons and their payloads, keyboards."""
