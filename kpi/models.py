"""Models of the kpi app (added by its issue)."""
