"""Admin of API keys (key shown once at creation, revoke action) and webhooks."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.api.scopes import Scope
from crm.admin_base import ScopedModelAdmin, ScopedTabularInline, adopt_saved
from partners import selectors, services
from partners.models import (
    ApiKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from partners.webhook_http import WebhookURLRefused, webhook_target
from partners.webhooks import webhook_delivery_retry


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiKey
        fields = ("partner", "name", "scopes", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.api_key_list)
    list_display = (
        "name",
        "partner",
        "prefix",
        "scope_list",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("partner", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "partner__name")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner",)
    actions = ("revoke_keys",)
    readonly_fields = (
        "partner",
        "name",
        "prefix",
        "scope_list",
        "expires_at",
        "created_at",
        "created_by",
        "revoked_at",
        "last_used_at",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("partner", "name", "scopes", "expires_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # keys are immutable: revoke and create a new one instead
        key, raw = services.api_key_create(
            actor=request.user,
            partner=form.cleaned_data["partner"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        adopt_saved(obj, key)
        self.message_user(
            request,
            _("The new API key is shown only this once; copy it now: %(key)s")
            % {"key": raw},
            messages.WARNING,
        )

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes or [])

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke_keys(self, request, queryset):
        count = len(
            self.run_each(
                request,
                queryset.filter(revoked_at__isnull=True),
                lambda key: services.api_key_revoke(actor=request.user, api_key=key),
            )
        )
        self.message_user(
            request,
            ngettext("%(n)d key revoked.", "%(n)d keys revoked.", count) % {"n": count},
            messages.SUCCESS,
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("signing secret"), min_length=16, max_length=100)
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("partner", "url", "secret", "events", "description", "is_active")

    def clean_url(self):
        """A new or changed URL must pass the webhook URL rules (the service
        checks again); an unchanged one is left alone so that an endpoint whose
        URL is no longer allowed can still be edited or deactivated."""
        url = self.cleaned_data["url"]
        if self.instance.pk is None or "url" in self.changed_data:
            try:
                webhook_target(url)
            except WebhookURLRefused as exc:
                raise forms.ValidationError(exc.message, code="url_refused") from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.webhook_endpoint_list)
    form = WebhookEndpointForm
    list_display = (
        "url",
        "partner",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "updated_at",
    )
    list_filter = ("is_active", "partner")
    search_fields = ("url", "partner__name")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner",)
    readonly_fields = (
        "consecutive_failures",
        "disabled_at",
        "held_deliveries",
        "created_at",
    )

    @admin.display(description=_("held deliveries"))
    def held_deliveries(self, obj):
        """Events raised while the endpoint is disabled: they go out, oldest
        first, when it is enabled again (within the retention period)."""
        if obj is None or obj.pk is None:
            return 0
        return selectors.webhook_held_count(endpoint=obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.webhook_endpoint_update(
                actor=request.user,
                endpoint=obj,
                url=data["url"],
                secret=data["secret"],
                events=data["events"],
                description=data["description"],
                is_active=data["is_active"],
            )
            return
        created = services.webhook_endpoint_create(
            actor=request.user,
            partner=data["partner"],
            url=data["url"],
            events=data["events"],
            secret=data["secret"],
            description=data["description"],
        )
        adopt_saved(obj, created)

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(actor=request.user, endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            self.delete_model(request, endpoint)


class WebhookAttemptInline(ScopedTabularInline):
    model = WebhookAttempt
    selector = staticmethod(selectors.webhook_attempt_list)
    extra = 0
    can_delete = False
    fields = (
        "number",
        "attempted_at",
        "status_code",
        "error",
        "duration_ms",
        "response_excerpt",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedModelAdmin):
    """The delivery log: one row per event per endpoint, attempts inline."""

    selector = staticmethod(selectors.webhook_delivery_list)

    list_display = (
        "created_at",
        "event",
        "complaint_reference",
        "endpoint",
        "status",
        "held",
        "attempts",
        "last_outcome",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = (
        "status",
        ("endpoint__is_active", admin.BooleanFieldListFilter),
        "last_outcome",
        "event",
        "endpoint__partner",
    )
    search_fields = ("complaint_reference", "event_id", "endpoint__url")
    list_select_related = ("endpoint", "endpoint__partner")
    date_hierarchy = "created_at"
    inlines = (WebhookAttemptInline,)
    actions = ("retry_now",)
    readonly_fields = (
        "endpoint",
        "event_id",
        "event",
        "complaint_reference",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "last_status_code",
        "last_error",
        "last_attempt_at",
        "delivered_at",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("held (endpoint disabled)"), boolean=True)
    def held(self, obj):
        return obj.status == WebhookDelivery.Status.PENDING and not (
            obj.endpoint.is_active
        )

    @admin.action(
        description=_("Retry the selected deliveries now"),
        permissions=("view",),
    )
    def retry_now(self, request, queryset):
        count = webhook_delivery_retry(actor=request.user, deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery scheduled.", "%(n)d deliveries scheduled.", count)
            % {"n": count},
            messages.SUCCESS,
        )
