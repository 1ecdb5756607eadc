"""Intake from the publisher's website: one RSS 2.0 or Atom feed per language.

`fetch` asks a feed conditionally, `entries` reads a feed document into plain entries,
`html` turns an entry's HTML into Telegram's, `topics` maps categories to topic keys,
`matching` links the three language posts of one commentary, and `intake` runs a poll
and stores what it found (through `bot.storage.intake`).
"""
