"""Signals the complaint services send, inside their transaction, after the change.

Other apps react here without the complaints services importing them: CRM plans
the confirmation revisit on ``complaint_resolved``, training checks attitude
complaints, the partner API writes webhook outbox rows. Receivers run in the same
transaction as the change (Django signals are synchronous), so what they write
commits or rolls back with it.

Every signal is sent with ``sender=Complaint`` and keyword arguments
``complaint``, ``actor`` (a staff user or None) and ``event`` (the ComplaintEvent
written for the change, or None); ``complaint_status_changed`` adds
``from_status`` and ``to_status``.
"""

from django.dispatch import Signal

complaint_created = Signal()
complaint_status_changed = Signal()
complaint_replied = Signal()
complaint_resolved = Signal()
