"""Every Kefu admin and inline lists its rows through a selector (issue 12,
point 1): scoped models name theirs (``selector = staticmethod(...)``), and
only configuration tables — open to every staff role — go without one, through
``crm.selectors.configuration_rows``, which refuses any other model."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from crm.admin_base import ScopedModelAdmin
from crm.selectors import NotConfiguration, configuration_rows, is_configuration

pytestmark = pytest.mark.django_db


def _kefu_admins():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ScopedModelAdmin):
            yield model, model_admin


def _readers():
    """Each admin class and inline class with the model whose rows it lists."""
    for model, model_admin in _kefu_admins():
        yield type(model_admin), model
        for inline in model_admin.inlines:
            yield inline, inline.model


def test_scoped_models_name_their_selector_configuration_needs_none():
    checked = []
    for owner, model in _readers():
        selector = getattr(owner, "selector", None)
        label = f"{owner.__name__} ({model._meta.label})"
        if is_configuration(model):
            assert selector is None, f"{label}: configuration needs no selector"
        else:
            assert selector is not None, f"{label} lists scoped rows without one"
            assert selector.__module__.endswith(".selectors"), label
        checked.append(label)
    assert len(checked) > 40


def test_configuration_rows_guards_the_default(org):
    for _owner, model in _readers():
        if not is_configuration(model):
            with pytest.raises(NotConfiguration):
                configuration_rows(user=org.admin, model=model)


def test_admin_rows_are_the_selectors_rows(org):
    """The changelist queryset of each admin is its selector's, ordered."""
    request = RequestFactory().get("/admin/")
    for user in (org.admin, org.manager_a, org.agent_a):
        request.user = user
        for model, model_admin in _kefu_admins():
            selector = getattr(type(model_admin), "selector", None)
            if selector is None:
                expected = configuration_rows(user=user, model=model)
            else:
                expected = selector(user=user, **model_admin.selector_kwargs(request))
            got = model_admin.get_queryset(request)
            assert set(got.values_list("pk", flat=True)) == set(
                expected.values_list("pk", flat=True)
            ), model._meta.label
