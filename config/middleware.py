"""Project middleware: language selection (the user's choice, else Chinese) and
the refusal of NUL characters in a request."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _


class LanguageMiddleware:
    """Activate the chosen language for the request.

    Order: the language cookie set by Django's ``set_language`` view, then (only
    when ``KEFU_HONOR_ACCEPT_LANGUAGE``) the browser's Accept-Language header,
    then ``LANGUAGE_CODE`` (Chinese). Unlike Django's LocaleMiddleware, a browser
    that happens to prefer English does not turn the portal English by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

    def _choose(self, request) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        if chosen in supported and check_for_language(chosen):
            return chosen
        if settings.KEFU_HONOR_ACCEPT_LANGUAGE:
            return translation.get_language_from_request(request)
        return settings.LANGUAGE_CODE


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def _nul_in_request(request) -> bool:
    """True when the path, a query parameter, a header or a form field of a
    POST carries a NUL character (decoded: ``%00`` counts)."""
    if "\x00" in request.path:
        return True
    if _has_nul(
        name_or_value
        for name, values in request.GET.lists()
        for name_or_value in (name, *values)
    ):
        return True
    if _has_nul(
        str(value) for key, value in request.META.items() if key.startswith("HTTP_")
    ):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        if _has_nul(
            name_or_value
            for name, values in request.POST.lists()
            for name_or_value in (name, *values)
        ):
            return True
        if _has_nul(
            f"{name}{upload.name or ''}"
            for name, uploads in request.FILES.lists()
            for upload in uploads
        ):
            return True
    return False


class RejectNulMiddleware:
    """Refuse requests whose path, query string, headers or form fields hold a
    NUL character, with 400 before any view runs.

    PostgreSQL text columns cannot hold NUL (``DataError`` → 500 wherever such a
    value reaches a query: a reference in the path, an admin filter, a period
    key), and no legitimate input of this portal contains one. The API answers
    its JSON error shape, other pages a plain message. JSON bodies are checked
    by the API's parser (``config.api.parsers``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _nul_in_request(request):
            message = _("The request contains a NUL character, which is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "bad_request", "message": message, "errors": {}},
                    status=400,
                )
            return HttpResponseBadRequest(
                message, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
