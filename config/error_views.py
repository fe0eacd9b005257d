"""Root error views: API paths get the API's JSON error shape, pages get HTML.

A URL that matches no route never reaches DRF, so without these a partner
calling ``/api/v1/complaints/<odd reference>/`` would get Django's HTML 404.
A database outage met outside DRF's exception handling (the session or the
user read by a middleware, a page) is a 503 with ``Retry-After``, not a 500:
JSON under ``/api/``, a plain page elsewhere (rendered without the database).
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

from config.api.exceptions import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable_body,
)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse(
            {"code": "not_found", "message": _("Not found."), "errors": {}}, status=404
        )
    return defaults.page_not_found(request, exception)


def _database_unavailable(request):
    if _is_api(request):
        response = JsonResponse(database_unavailable_body(), status=503)
    else:
        title = escape(_("Service temporarily unavailable"))
        text = escape(_("The service is temporarily unavailable. Try again shortly."))
        response = HttpResponse(
            f'<!doctype html><html><head><meta charset="utf-8"><title>{title}'
            f"</title></head><body><h1>{title}</h1><p>{text}</p></body></html>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return _database_unavailable(request)
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
