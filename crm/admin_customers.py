"""Admin of customers and their contacts.

Phone and e-mail are looked up exactly through their digests (the columns are
encrypted, so ``icontains`` cannot work); saving goes through
``crm.services.customer_create`` / ``customer_update``.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from crm import pii, selectors, services
from crm.admin_base import (
    ScopedModelAdmin,
    ScopedTabularInline,
    adopt_saved,
    identifier_search,
)
from crm.models import (
    Contact,
    Customer,
    CustomerExternalId,
    PersonalDataAccess,
    PrivacyRequest,
)
from crm.selectors import customer_history, sees_personal_data
from crm.services import privacy
from crm.services.contacts import CONTACT_FIELDS
from crm.services.customers import WRITABLE_FIELDS

PII_FIELDS = ("phone", "email", "address")
# The admin form edits exactly what the customer services accept.
SERVICE_FIELDS = WRITABLE_FIELDS


class TagsField(forms.CharField):
    """Tags typed as words separated by commas (not a JSON list like ``[]``)."""

    SEPARATORS = ("，", "、", ";", "；")

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(tag) for tag in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(tag) for tag in value]
        text = str(value or "")
        for separator in self.SEPARATORS:
            text = text.replace(separator, ",")
        return [tag.strip() for tag in text.split(",") if tag.strip()]


def tags_text(tags) -> str:
    return ", ".join(str(tag) for tag in tags or ()) or "—"


class CustomerForm(forms.ModelForm):
    tags = TagsField(
        label=_("tags"),
        required=False,
        help_text=_("Separate tags with commas."),
    )
    phone = forms.CharField(label=_("phone"), required=False, max_length=32)
    email = forms.EmailField(label=_("e-mail"), required=False)
    address = forms.CharField(label=_("address"), required=False, max_length=300)

    class Meta:
        model = Customer
        fields = SERVICE_FIELDS

    def clean_phone(self):
        try:
            return pii.normalise_phone(self.cleaned_data.get("phone", ""))
        except pii.InvalidPhoneNumber:
            raise forms.ValidationError(_("Enter a valid phone number.")) from None

    def clean_email(self):
        return pii.normalise_email(self.cleaned_data.get("email", ""))

    def clean(self):
        data = super().clean()
        # Phone and e-mail are unique per owner (in-house, or one partner).
        others = Customer.objects.exclude(pk=self.instance.pk).filter(
            partner=self.instance.partner_id
        )
        if (
            data.get("phone")
            and others.filter(phone_digest=pii.phone_digest(data["phone"])).exists()
        ):
            self.add_error("phone", _("Another customer already has this phone."))
        if (
            data.get("email")
            and others.filter(email_digest=pii.email_digest(data["email"])).exists()
        ):
            self.add_error("email", _("Another customer already has this e-mail."))
        return data


class ContactInline(ScopedTabularInline):
    model = Contact
    selector = staticmethod(selectors.contact_list)
    extra = 0
    fields = ("name", "title", "phone", "email", "is_primary", "notes")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("phone", "email"):
            kwargs["widget"] = forms.TextInput(attrs={"size": 18})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ExternalIdInline(ScopedTabularInline):
    model = CustomerExternalId
    selector = staticmethod(selectors.customer_external_id_list)
    extra = 0
    fields = ("partner", "external_id", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def history_table(rows) -> str:
    """The customer's history rows as a table, times local (Asia/Shanghai) in
    the one format of the portal."""
    return format_html(
        "<table>{}</table>",
        format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td><a href="{}">{}</a></td></tr>',
            (
                (
                    date_format(timezone.localtime(row["when"]), "Y-m-d H:i"),
                    row["kind"],
                    row["url"],
                    row["text"],
                )
                for row in rows
            ),
        ),
    )


@admin.register(Customer)
class CustomerAdmin(ScopedModelAdmin):
    form = CustomerForm
    selector = staticmethod(selectors.customer_list)
    list_display = (
        "code",
        "name",
        "kind",
        "tier",
        "lifecycle",
        "phone_shown",
        "owner",
        "department",
        "created_at",
    )
    list_filter = ("kind", "tier", "lifecycle", "department", "preferred_channel")
    search_fields = ("code", "name")
    search_help_text = _("Customer number or name; a phone number or e-mail exactly.")
    list_select_related = ("owner", "department", "partner")
    autocomplete_fields = ("owner", "department")
    inlines = (ContactInline, ExternalIdInline)
    readonly_fields = (
        "code",
        "partner",
        "created_at",
        "updated_at",
        "history",
        "tags_shown",
    )
    fieldsets = (
        (None, {"fields": ("code", "kind", "name", "tier", "lifecycle", "tags")}),
        (
            _("Contact details"),
            {
                "fields": (
                    "phone",
                    "email",
                    "address",
                    "birthday",
                    "preferred_channel",
                    "preferred_language",
                )
            },
        ),
        (
            _("Relationship"),
            {"fields": ("owner", "department", "partner", "notes")},
        ),
        (
            _("Consent"),
            {"fields": ("consent_to_contact", "privacy_notice_version", "consent_at")},
        ),
        (_("History"), {"fields": ("history", "created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        # Also the customer autocomplete of every other form (complaints,
        # revisits, contacts...): Django's autocomplete view calls this.
        term = search_term.strip()
        found = identifier_search(request, queryset, term)
        if found is not None:
            return found | queryset.filter(code=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not sees_personal_data(request.user):
            # Masked roles search by number and name only (no phone oracle).
            changelist.search_help_text = _("Customer number or name.")
        return changelist

    @admin.display(description=_("phone"))
    def phone_shown(self, obj):
        return obj.phone_masked

    @admin.display(description=_("tags"))
    def tags_shown(self, obj):
        return tags_text(obj.tags if obj else None)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only: the tags as words, not their JSON.
            fieldsets = [
                (
                    name,
                    {
                        **o,
                        "fields": [
                            {"tags": "tags_shown"}.get(f, f) for f in o["fields"]
                        ],
                    },
                )
                for name, o in fieldsets
            ]
        if sees_personal_data(request.user):
            return fieldsets
        # Roles without need see masked values only (DESIGN §1 Privacy).
        masked = []
        for name, options in fieldsets:
            fields = [
                {"phone": "phone_masked", "email": "email_masked"}.get(f, f)
                for f in options["fields"]
                if f != "address"
            ]
            masked.append((name, {**options, "fields": fields}))
        return masked

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not sees_personal_data(request.user):
            fields += ["phone_masked", "email_masked"]
        return fields

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The history panel lists only what the viewer may see.
            obj._kefu_viewer = request.user
        return obj

    @admin.display(description=_("complaints, interactions and revisits"))
    def history(self, obj):
        viewer = getattr(obj, "_kefu_viewer", None)
        if obj is None or obj.pk is None or viewer is None:
            return ""
        return history_table(customer_history(user=viewer, customer=obj, limit=20))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and sees_personal_data(request.user):
            customer = self.get_object(request, object_id)
            if customer is not None:
                privacy.personal_data_access_log(
                    actor=request.user, customer=customer, action="view"
                )
        return response

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        data = {k: v for k, v in data.items() if k in SERVICE_FIELDS}
        if change:
            current = Customer.objects.get(pk=obj.pk)
            services.customer_update(actor=request.user, customer=current, **data)
            return
        data.pop("name", None)
        created = services.customer_create(
            actor=request.user, name=form.cleaned_data["name"], **data
        )
        adopt_saved(obj, created)

    def save_related(self, request, form, formsets, change):
        # The customer row was written by the service; contacts are plain rows.
        form.instance = Customer.objects.get(pk=form.instance.pk)
        for formset in formsets:
            formset.instance = form.instance
            self.save_formset(request, form, formset, change)


@admin.register(Contact)
class ContactAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.contact_list)
    list_display = ("name", "customer", "title", "is_primary")
    search_fields = ("name", "customer__code", "customer__name")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    fields = ("customer", *CONTACT_FIELDS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("phone", "email"):
            kwargs["widget"] = forms.TextInput()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and sees_personal_data(request.user):
            # The form shows the contact's phone and e-mail unmasked: logged.
            contact = self.get_object(request, object_id)
            if contact is not None:
                privacy.personal_data_access_log(
                    actor=request.user,
                    customer=contact.customer,
                    action=PersonalDataAccess.Action.VIEW,
                    note=f"contact {contact.pk}",
                )
        return response

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = {
            name: data[name]
            for name in CONTACT_FIELDS
            if name in data and (not change or name in form.changed_data)
        }
        if change:
            saved = services.contact_update(
                actor=request.user,
                contact=Contact.objects.get(pk=obj.pk),
                customer=data.get("customer"),
                **values,
            )
        else:
            saved = services.contact_create(
                actor=request.user, customer=data["customer"], **values
            )
        adopt_saved(obj, saved)


class PrivacyRequestForm(forms.ModelForm):
    class Meta:
        model = PrivacyRequest
        fields = (
            "customer",
            "kind",
            "requested_by",
            "requested_at",
            "corrections",
            "note",
        )


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ScopedModelAdmin):
    """PIPL requests: recorded here, executed by the "Execute" action."""

    form = PrivacyRequestForm
    selector = staticmethod(selectors.privacy_request_list)
    list_display = (
        "requested_at",
        "customer",
        "kind",
        "status",
        "recorded_by",
        "executed_by",
        "executed_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("customer__code",)
    list_select_related = ("customer", "recorded_by", "executed_by")
    autocomplete_fields = ("customer",)
    actions = ("execute", "reject")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("status",)
        return (
            "customer",
            "kind",
            "status",
            "requested_by",
            "requested_at",
            "corrections",
            "note",
            "recorded_by",
            "executed_by",
            "executed_at",
        )

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = privacy.privacy_request_create(
            actor=request.user,
            customer=data["customer"],
            kind=data["kind"],
            requested_by=data["requested_by"],
            requested_at=data.get("requested_at"),
            corrections=data.get("corrections") or {},
            note=data.get("note", ""),
        )
        adopt_saved(obj, created)

    @admin.action(
        description=_("Execute (export downloads a JSON file)"), permissions=["change"]
    )
    def execute(self, request, queryset):
        done = self.run_each(
            request,
            queryset.select_related("customer"),
            lambda item: privacy.privacy_request_execute(
                actor=request.user, request=item
            ),
        )
        exports = [(i.customer.code, data) for i, data in done if data is not None]
        if len(exports) == 1 and queryset.count() == 1:
            code, data = exports[0]
            response = HttpResponse(
                json.dumps(data, ensure_ascii=False, indent=2),
                content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{code}.json"'
            return response
        if done:
            self.message_user(request, _("Requests executed."))
        return None

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda item: privacy.privacy_request_reject(
                actor=request.user, request=item, reason=_("Rejected in the admin.")
            ),
        )


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.personal_data_access_list)
    list_display = ("at", "actor", "action", "customer", "record_count", "note")
    list_filter = ("action",)
    search_fields = ("customer__code", "actor__username")
    list_select_related = ("actor", "customer")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
