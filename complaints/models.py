"""Models of the complaints app (added by its issue)."""
