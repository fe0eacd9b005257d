"""Root URLs. Each app adds its own module here; the API lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from kpi.home import assign, home

admin.site.site_header = _("Kefu customer-service portal")
admin.site.site_title = _("Kefu")
admin.site.index_title = _("Service operations")
# "View site" opens the home: each role's work for today (kpi.home).
admin.site.site_url = "/"
_admin_login = admin.site.login


def _login_to_the_desk(request, extra_context=None):
    """The admin login, landing on the home (``/``) unless ``next`` says where."""
    if "next" not in request.GET and "next" not in request.POST:
        extra_context = {**(extra_context or {}), "next": "/"}
    return _admin_login(request, extra_context)


admin.site.login = _login_to_the_desk

# Each app contributes ``<app>/api/urls.py``; all share the /api/v1/ prefix.
api_v1 = [
    path("", include("partners.api.urls")),
    path("", include("crm.api.urls")),
    path("", include("complaints.api.urls")),
    path("", include("aftersales.api.urls")),
    path("", include("training.api.urls")),
    path("", include("kpi.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", home, name="home"),
    path("desk/assign/<int:pk>/", assign, name="home-assign"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("kpi/", include("kpi.urls")),
    # complaint attachments: scoped download view (never served from MEDIA_URL)
    path("complaints/", include("complaints.urls")),
    # the customer's pages (tracking, survey link) and inbound mail, no login
    path("", include("complaints.public_urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]

handler400 = "config.error_views.bad_request"
handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
