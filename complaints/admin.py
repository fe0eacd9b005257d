"""Admin of complaints (in Chinese by default): status is read-only, every
change goes through the services."""

from django.contrib import admin

from complaints.models import Complaint
from crm.admin_base import ScopedModelAdmin


@admin.register(Complaint)
class ComplaintAdmin(ScopedModelAdmin):
    list_display = ("reference", "subject", "status")
