"""The customer's pages (no login): the tracking page, the survey link, and
the inbound e-mail endpoint for mail providers. See docs/customer-messages.md.

The tracking page shows a complaint only to whoever gives its reference and the
last four digits of the customer's phone (or the e-mail address). Every failure
gives the very same answer, whatever was wrong, and tries are limited per client
address (``KEFU_TRACK_LIMIT`` per ``KEFU_TRACK_WINDOW_SECONDS``: 429).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from complaints import selectors
from complaints.models import Complaint, InboundEmail
from complaints.services.inbound import inbound_email_receive
from complaints.services.surveys import (
    SurveyLinkExpired,
    survey_answer_by_token,
    survey_for_token,
)
from config.client_ip import client_ip
from config.errors import Conflict, InvalidInput, NotFound
from crm import pii

MESSAGE = "complaints/public/message.html"
# Which promised time each clock is, in the customer's words.
TARGET_LABELS = {
    "first_response": gettext_lazy("First contact by"),
    "analysis": gettext_lazy("First analysis by"),
    "reply": gettext_lazy("Reply by"),
    "resolution": gettext_lazy("Resolution by"),
    "confirmation": gettext_lazy("Confirmation with you by"),
}


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Complaint reference"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "TS202612010001", "autocomplete": "off"}
        ),
    )
    contact = forms.CharField(
        label=gettext_lazy("Last 4 digits of your phone, or your e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SurveyForm(forms.Form):
    csat = forms.TypedChoiceField(
        label=gettext_lazy(
            "How satisfied are you with how your complaint was handled?"
        ),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    nps = forms.TypedChoiceField(
        label=gettext_lazy("How likely are you to recommend us (0–10)?"),
        choices=[("", "—")] + [(n, str(n)) for n in range(0, 11)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )


def _message(request, title, text, status):
    return render(request, MESSAGE, {"title": title, "text": text}, status=status)


def _throttled(request) -> bool:
    """Count this try of the client address; True past the limit."""
    key = "kefu:track:" + hashlib.sha256(client_ip(request).encode()).hexdigest()
    window = settings.KEFU_TRACK_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.KEFU_TRACK_LIMIT


def _proof_matches(complaint: Complaint | None, contact: str) -> bool:
    """The last four digits of the customer's phone, or the e-mail address.
    Compared in constant time; the same work is done for an unknown reference."""
    contact = (contact or "").strip()
    customer = complaint.customer if complaint is not None else None
    if customer is None or customer.is_anonymised:
        hmac.compare_digest("0000", "0001")
        return False
    if re.fullmatch(r"\d{4}", contact):
        digits = re.sub(r"\D", "", customer.phone or "")
        return len(digits) >= 4 and hmac.compare_digest(digits[-4:], contact)
    if "@" in contact:
        email = pii.normalise_email(customer.email or "")
        return bool(email) and hmac.compare_digest(
            email.encode(), pii.normalise_email(contact).encode()
        )
    return False


def _tracking_context(complaint: Complaint) -> dict:
    events = [
        {
            "at": event.created_at,
            "what": event.get_kind_display(),
            "status": Complaint.Status(event.to_status).label
            if event.to_status
            else "",
        }
        for event in selectors.complaint_public_timeline(complaint=complaint)
    ]
    targets = [
        {
            "label": TARGET_LABELS.get(target.kind, target.get_kind_display()),
            "due_at": target.due_at,
            "met_at": target.met_at,
        }
        for target in selectors.complaint_public_targets(complaint=complaint)
    ]
    return {
        "complaint": complaint,
        "masked_name": pii.mask_name(complaint.customer.name),
        "events": events,
        "targets": targets,
    }


@sensitive_post_parameters("contact")
@require_http_methods(["GET", "POST"])
def track(request):
    """GET: the form (``?reference=`` fills it in); POST: the complaint, or the
    one answer for every failure."""
    if request.method == "GET":
        reference = request.GET.get("reference", "")[:20]
        form = TrackForm(initial={"reference": reference})
        return render(request, "complaints/public/track.html", {"form": form})
    if _throttled(request):
        return _message(
            request,
            _("Too many tries"),
            _("Too many tries from your address. Please wait a few minutes."),
            429,
        )
    form = TrackForm(request.POST)
    complaint = None
    if form.is_valid():
        complaint = selectors.complaint_for_tracking(
            reference=form.cleaned_data["reference"]
        )
        if not _proof_matches(complaint, form.cleaned_data["contact"]):
            complaint = None
    if complaint is None:
        # A new, empty form: nothing typed is echoed, so the answer is the
        # same whether the reference or the digits were wrong.
        return render(
            request,
            "complaints/public/track.html",
            {"form": TrackForm(), "failed": True},
        )
    return render(
        request, "complaints/public/tracked.html", _tracking_context(complaint)
    )


@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    """The satisfaction survey of one resolution cycle (a signed link)."""
    try:
        complaint, _survey = survey_for_token(token)
    except NotFound:
        raise Http404 from None
    except SurveyLinkExpired as exc:
        return _message(request, _("Link expired"), exc.message, 410)
    except Conflict as exc:
        return _message(request, _("Already answered"), exc.message, 409)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer_by_token(
                token=token,
                csat=form.cleaned_data["csat"],
                nps=form.cleaned_data["nps"],
                comment=form.cleaned_data["comment"],
            )
        except SurveyLinkExpired as exc:
            return _message(request, _("Link expired"), exc.message, 410)
        except Conflict as exc:
            return _message(request, _("Already answered"), exc.message, 409)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _message(
                request,
                _("Thank you"),
                _("Thank you for your feedback. It helps us serve you better."),
                200,
            )
    return render(
        request,
        "complaints/public/survey.html",
        {"form": form, "reference": complaint.reference},
    )


def _signature_ok(body: bytes, header: str) -> bool:
    secret = settings.KEFU_INBOUND_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip())


@csrf_exempt
@require_POST
def inbound_email(request):
    """A mail provider posts one raw MIME message, signed
    (``X-Kefu-Signature: sha256=<hex HMAC-SHA256 of the body>`` with
    ``KEFU_INBOUND_SECRET``). 403 for a bad signature; 200 with the outcome
    (a repeated post of the same message changes nothing)."""
    try:
        body = request.read(settings.KEFU_INBOUND_MAX_BYTES + 1)
    except RequestDataTooBig:
        return JsonResponse({"code": "too_large"}, status=413)
    if len(body) > settings.KEFU_INBOUND_MAX_BYTES:
        return JsonResponse({"code": "too_large"}, status=413)
    if not _signature_ok(body, request.headers.get("X-Kefu-Signature", "")):
        return JsonResponse(
            {"code": "bad_signature", "detail": "bad or missing signature"},
            status=403,
        )
    row, created = inbound_email_receive(raw=body, source=InboundEmail.Source.WEBHOOK)
    return JsonResponse(
        {
            "outcome": row.outcome,
            "duplicate": not created,
            "reference": row.complaint.reference if row.complaint_id else None,
        }
    )
