"""Training admin: the trainer's working day (courses, sessions, bulk attendance,
assessments, certifications, assignments) and the staff training record.

Rows come from ``crm.scoping`` (ScopedModelAdmin); state changes go through
``training.services``; domain errors are shown as messages.
"""

from training.admin import catalogue, records, results, sessions

__all__ = ["catalogue", "records", "results", "sessions"]
