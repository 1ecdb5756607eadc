"""Telegram distribution channel of a weekly analytical newsletter."""

import os

# Take python-telegram-bot's durations (RetryAfter.retry_after and friends) as timedelta now,
# as its next major version will, instead of ints with a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
