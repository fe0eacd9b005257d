"""Standard phrases (服务用语): supervisors and managers edit the library the
reply composer offers (configuration: every row, no selector)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import Phrase
from crm.admin_base import ScopedModelAdmin

VARIABLES = ("customer_name", "reference", "due")


class PhraseForm(forms.ModelForm):
    class Meta:
        model = Phrase
        fields = (
            "code",
            "step",
            "category",
            "channel",
            "text_zh",
            "text_en",
            "sort_order",
            "is_active",
        )

    def _check(self, name):
        text = self.cleaned_data.get(name) or ""
        try:
            text.format(**dict.fromkeys(VARIABLES, ""))
        except (KeyError, IndexError, ValueError):
            raise forms.ValidationError(
                _("Only the variables {customer_name} {reference} {due} may be used.")
            ) from None
        return text

    def clean_text_zh(self):
        return self._check("text_zh")

    def clean_text_en(self):
        return self._check("text_en")


@admin.register(Phrase)
class PhraseAdmin(ScopedModelAdmin):
    form = PhraseForm
    list_display = ("step", "text_zh", "category", "channel", "sort_order", "is_active")
    list_filter = ("step", "channel", "is_active")
    list_select_related = ("category",)
    search_fields = ("text_zh", "text_en", "code")
