"""The project's URLs plus ``/bench/baseline/``: the API list's query, bare."""

from django.db.models import F
from django.http import JsonResponse
from django.urls import path

from complaints.models import Complaint
from config.urls import urlpatterns as project_urlpatterns
from crm.models import PartnerOrganisation


def baseline(request):
    """The same rows as ``GET /api/v1/complaints/?page_size=100`` for the bench
    partner (same filter, joins and order), through ``.values()`` and
    ``JsonResponse``: no DRF, no authentication, no serializer."""
    partner_code = request.GET.get("partner", "bench-partner")
    partner_id = PartnerOrganisation.objects.values_list("pk", flat=True).get(
        code=partner_code
    )
    rows = list(
        Complaint.objects.filter(source_partner_id=partner_id)
        .order_by("-pk")
        .values(
            "reference",
            "status",
            "severity",
            "channel",
            "subject",
            "description",
            "order_number",
            "occurred_at",
            "desired_resolution",
            "received_at",
            "first_response_at",
            "replied_at",
            "resolved_at",
            "closed_at",
            "resolution_type",
            "reopened_count",
            "version",
            "created_at",
            "updated_at",
            "first_response_due_at",
            "analysis_due_at",
            "reply_due_at",
            "resolution_due_at",
            "confirmation_due_at",
            category_code=F("category__code"),
            subcategory_code=F("subcategory__code"),
            customer_code=F("customer__code"),
            customer_name=F("customer__name"),
        )[:100]
    )
    return JsonResponse({"results": rows, "next": None})


urlpatterns = [path("bench/baseline/", baseline), *project_urlpatterns]
