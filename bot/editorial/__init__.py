"""The life of a broadcast for the editors: workflow, schedules, reports and views."""
