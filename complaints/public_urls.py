"""The customer's pages (no login) and the mail providers' endpoint."""

from django.urls import path

from complaints import public

app_name = "public"

urlpatterns = [
    path("track/", public.track, name="track"),
    path("survey/<str:token>/", public.survey, name="survey"),
    path("inbound/email/", public.inbound_email, name="inbound-email"),
]
