"""Language selection: the user's choice (cookie or session), else Chinese."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import check_for_language


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
