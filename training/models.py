"""Models of the training app (added by its issue)."""
