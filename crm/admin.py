"""Admin of crm: staff and organisation here; customers, revisits, notifications
and privacy in ``crm.admin_customers`` / ``crm.admin_revisits`` (imported below)."""

import copy
from functools import partial

import axes.admin  # noqa: F401  (registers the lockout admins first; see the end)
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from crm import scoping, selectors
from crm.admin_base import SERVICE_ERRORS, KefuChangeList, ScopedModelAdmin, adopt_saved
from crm.models import Department, PartnerOrganisation, Team, User
from crm.services import users


class PasswordSetForm(AdminPasswordChangeForm):
    """Django's set-password form, saving through ``user_set_password``."""

    def __init__(self, user, *args, actor, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def save(self, commit=True):
        usable = self.cleaned_data["set_usable_password"]
        self.user = users.user_set_password(
            actor=self.actor,
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
        )
        return self.user


# Autocomplete over staff for a foreign key of a higher app whose choices are not
# "the staff I may see" but a list of its own (the assignees of a complaint):
# (app label, model name, field name) -> selector(user=...). The higher app
# registers it from its admin module, so the search offers what its form accepts.
STAFF_AUTOCOMPLETE_SOURCES: dict[tuple[str, str, str], object] = {}


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedModelAdmin):
    """Staff accounts. Which accounts, fields and roles a person may change is
    decided by ``crm.services.users``; this admin shows only those and saves
    through the service (a forged POST is refused there with a message)."""

    list_display = (
        "employee_no",
        "username",
        "name",
        "department",
        "team",
        "role_names",
        "is_active",
    )
    list_filter = ("is_active", "department", "team", "groups")
    search_fields = ("username", "employee_no", "name", "email")
    list_select_related = ("department", "team")
    autocomplete_fields = ("department", "team", "supervisor")
    ordering = ("employee_no", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Staff details"),
            {
                "fields": (
                    "employee_no",
                    "name",
                    "email",
                    "phone",
                    "department",
                    "team",
                    "supervisor",
                    "hired_on",
                )
            },
        ),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "employee_no",
                    "name",
                    "department",
                    "team",
                    "groups",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # Set-password form fields: always on the add page, never saved as such.
    PASSWORD_FORM_FIELDS = ("password1", "password2")
    selector = staticmethod(selectors.staff_list)

    def get_search_results(self, request, queryset, search_term):
        source = STAFF_AUTOCOMPLETE_SOURCES.get(
            (
                request.GET.get("app_label"),
                request.GET.get("model_name"),
                request.GET.get("field_name"),
            )
        )
        if source is not None and request.resolver_match.url_name == "autocomplete":
            queryset = source(user=request.user)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    # --- what this person may do to this account (asked of the service) ----------

    def _refusal(self, request, obj) -> str | None:
        cache = request.__dict__.setdefault("_kefu_user_refusal", {})
        if obj.pk not in cache:
            cache[obj.pk] = users.user_refusal(actor=request.user, user=obj)
        return cache[obj.pk]

    def _editable(self, request, obj) -> frozenset[str]:
        cache = request.__dict__.setdefault("_kefu_user_editable", {})
        key = None if obj is None else obj.pk
        if key not in cache:
            cache[key] = users.user_editable_fields(actor=request.user, user=obj)
        return cache[key]

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._refusal(request, obj) is None

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or self._refusal(request, obj) is None

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            editable = self._editable(request, None)
            keep = set(editable) | set(self.PASSWORD_FORM_FIELDS)
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f in keep]})
                for name, opts in self.add_fieldsets
            ]
        if not users.actor_is_superuser(request.user):
            return self.fieldsets
        # Superusers also see (and may grant) permissions given directly.
        return [
            (name, {**opts, "fields": (*opts["fields"], "user_permissions")})
            if "groups" in opts["fields"]
            else (name, opts)
            for name, opts in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        editable = self._editable(request, obj)
        if not editable:
            return readonly  # a view-only page: Django shows every field read-only
        shown = [f for _name, opts in self.fieldsets for f in opts["fields"]]
        return readonly + [
            f
            for f in (*shown, "user_permissions")
            if f != "password" and f not in editable and f not in readonly
        ]

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = users.user_grantable_groups(actor=request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request=None, **kwargs):
        if db_field.name in ("department", "team", "supervisor"):
            model = db_field.remote_field.model
            kwargs["queryset"] = scoping.visible_to(
                request.user, model._default_manager.all()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- saving through the service ------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_permission(request, obj):
                refusal = self._refusal(request, obj)
                if refusal is not None:
                    self.message_user(request, refusal, messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in users.WRITABLE_FIELDS
        }
        # Protected fields in the POST that the form did not offer: a forged
        # request. Refuse it whole rather than ignore part of it.
        forged = {
            name
            for name in users.ROLE_FIELDS
            if name in request.POST and name not in form.fields
        }
        if change:
            current = User.objects.get(pk=obj.pk)
            users.user_check_fields(actor=request.user, user=current, fields=forged)
            users.user_update(actor=request.user, user=current, **data)
            return
        users.user_check_fields(actor=request.user, user=None, fields=forged)
        usable = form.cleaned_data.get("set_usable_password", True)
        created = users.user_create(
            actor=request.user,
            username=data.pop("username", form.cleaned_data["username"]),
            password=form.cleaned_data["password1"] if usable else None,
            **data,
        )
        adopt_saved(obj, created)

    def save_related(self, request, form, formsets, change):
        # The service wrote the roles; the form's own m2m save would bypass it.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and self.has_view_permission(request, user):
            refusal = self._refusal(request, user)
            if refusal is not None:
                self.message_user(request, refusal, messages.ERROR)
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:crm_user_change", args=[user.pk])
                )
        # Django's view, with a form that saves through the service as this actor.
        view = copy.copy(self)
        view.change_password_form = partial(PasswordSetForm, actor=request.user)
        try:
            return DjangoUserAdmin.user_change_password(view, request, id, form_url)
        except SERVICE_ERRORS as exc:
            self.show_refusal(request, exc)
            return HttpResponseRedirect(request.get_full_path())


class StaffTokenAdmin(TokenAdmin):
    """DRF's API-token admin, limited to one's own token and the tokens of the
    accounts one manages: a token lets its holder act as its user, so minting one
    for a superuser would be a takeover like setting their password."""

    def _holders(self, request):
        return users.users_manageable_by(actor=request.user) | User.objects.filter(
            pk=request.user.pk
        )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__in=self._holders(request))

    def formfield_for_foreignkey(self, db_field, request=None, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = self._holders(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, StaffTokenAdmin)


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.department_list)
    list_display = ("code", "name", "manager", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("manager",)
    autocomplete_fields = ("manager",)


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.team_list)
    list_display = ("code", "name", "department", "supervisor", "is_active")
    list_filter = ("department", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("department", "supervisor")
    autocomplete_fields = ("department", "supervisor")


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "contact_email", "is_active", "created_at")
    search_fields = ("code", "name")
    list_filter = ("is_active",)


# The login-lockout admins of django-axes (administrators only): registered by
# axes, re-registered here with Kefu's changelist, whose date hierarchy refuses a
# year/month/day out of range (a 400-style "?e=1" page, not an OverflowError).
def _with_checked_dates(model):
    registered = type(admin.site._registry[model])

    class CheckedDatesAdmin(registered):
        def get_changelist(self, request, **kwargs):
            return KefuChangeList

    CheckedDatesAdmin.__name__ = registered.__name__
    admin.site.unregister(model)
    admin.site.register(model, CheckedDatesAdmin)


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if _model in admin.site._registry:
        _with_checked_dates(_model)

# Registered on import (kept in their own modules by subject).
from crm import admin_customers, admin_revisits  # noqa: E402, F401
