"""The list API's fast paths answer exactly as the paths they shortcut:
``KefuFilterBackend`` (no FilterSet built when no filter parameter is given)
and ``PlainJSONRenderer`` (orjson, byte for byte DRF's ``JSONRenderer``)."""

import datetime as dt
from decimal import Decimal

import django_filters
import pytest
from django import forms
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from complaints.api.filtersets import ComplaintFilterSet
from complaints.models import Complaint
from config.api.filters import KefuFilterBackend
from config.api.renderers import PlainJSONRenderer

factory = APIRequestFactory()


# --- PlainJSONRenderer ------------------------------------------------------------


def both(data, accept="application/json"):
    context = {}
    return (
        PlainJSONRenderer().render(data, accept, context),
        JSONRenderer().render(data, accept, context),
    )


TEXT = "".join(chr(c) for c in range(0x2100)) + "投诉\u2028\u2029😀\U0010ffff"


@pytest.mark.parametrize(
    "data",
    [
        {"results": [{"s": TEXT, "n": 1, "t": True, "f": False, "z": None}]},
        {"next": None, "previous": "http://x/?cursor=cD0x", "results": []},
        [1, -1, 2**63 - 1, -(2**63), 2**64 - 1, "", [], {}, ("a", 1)],
        # Not plain: the whole body goes through DRF's renderer.
        {"when": dt.datetime(2026, 12, 3, 8, 1, 2, 345678, tzinfo=dt.UTC)},
        {"amount": Decimal("1.10")},
        {"message": ErrorDetail("不对", code="invalid")},
        {"message": gettext_lazy("Not found.")},
        {"big": 2**70},
        {1: "an integer key"},
        {"date": dt.date(2026, 12, 3)},
    ],
)
def test_plain_json_renderer_writes_what_drf_writes(data):
    fast, drf = both(data)
    assert fast == drf


def test_plain_json_renderer_honours_indent_and_none():
    fast, drf = both({"a": [1, "二"]}, "application/json; indent=2")
    assert fast == drf and b"\n" in fast
    assert PlainJSONRenderer().render(None) == b""


def test_plain_json_renderer_lone_surrogate_fails_as_drf_does():
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"s": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        PlainJSONRenderer().render({"s": "\ud800"})


# --- KefuFilterBackend ------------------------------------------------------------


class View:
    filterset_class = ComplaintFilterSet


def filtered(query, view=View):
    request = Request(factory.get("/" + query))
    return KefuFilterBackend().filter_queryset(request, Complaint.objects.all(), view)


@pytest.mark.django_db
def test_filter_backend_skips_the_filterset_without_its_parameters(monkeypatch):
    filtered("")  # the once-per-class check of the FilterSet, done
    built = []
    monkeypatch.setattr(
        ComplaintFilterSet, "is_valid", lambda self: built.append(1) or True
    )
    assert str(filtered("?page_size=10&cursor=cD0x").query) == str(
        Complaint.objects.all().query
    )
    assert built == []
    filtered("?status=")  # present, even empty: the FilterSet runs
    filtered("?received_after=2026-01-01T00:00:00Z")
    assert built == [1, 1]


@pytest.mark.django_db
def test_filter_backend_still_answers_400_and_filters():
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError):
        filtered("?status=lost")
    assert "WHERE" in str(filtered("?status=received&page_size=5").query)


class AbsentIsFalse(django_filters.FilterSet):
    # A forms.BooleanField reads an absent parameter as False, which filters.
    archived = django_filters.BooleanFilter(
        field_name="sla_paused", widget=forms.CheckboxInput
    )

    class Meta:
        model = Complaint
        fields: list[str] = []


class OwnFiltering(django_filters.FilterSet):
    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_queryset(self, queryset):
        return queryset.filter(reopened_count__gt=0)


@pytest.mark.django_db
@pytest.mark.parametrize("filterset_class", [AbsentIsFalse, OwnFiltering])
def test_filter_backend_always_runs_a_filterset_that_filters_on_nothing(
    filterset_class,
):
    view = type("V", (), {"filterset_class": filterset_class})
    got = filtered("?page_size=10", view)
    request = Request(factory.get("/?page_size=10"))
    full = filterset_class(
        data=request.query_params, queryset=Complaint.objects.all(), request=request
    )
    assert full.is_valid()
    assert str(got.query) == str(full.qs.query) != str(Complaint.objects.all().query)
