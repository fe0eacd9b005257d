"""Root error views: API paths get the API's JSON error shape, pages get HTML.

A URL that matches no route never reaches DRF, so without these a partner
calling ``/api/v1/complaints/<odd reference>/`` would get Django's HTML 404.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse(
            {"code": "not_found", "message": _("Not found."), "errors": {}}, status=404
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            {"code": "server_error", "message": _("Server error."), "errors": {}},
            status=500,
        )
    return defaults.server_error(request)


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse(
            {"code": "bad_request", "message": _("Bad request."), "errors": {}},
            status=400,
        )
    return defaults.bad_request(request, exception)
