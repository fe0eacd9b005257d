"""Every model, field and choice label of complaints, training and kpi has a Chinese
translation in the app's own zh_Hans catalogue (DESIGN: the admin is in Chinese;
choices reused from ``crm.roles`` are translated in crm's catalogue).

Read from the .po files (not the compiled .mo), so a label added without a
msgstr fails here even where the catalogues were never compiled.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.utils.functional import Promise

APPS = ["complaints", "training", "kpi"]


def _po(*parts: str) -> dict[str, str]:
    path = Path(settings.BASE_DIR).joinpath(
        *parts, "zh_Hans", "LC_MESSAGES", "django.po"
    )
    return {
        entry.msgid: entry.msgstr
        for entry in polib.pofile(str(path))
        if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
    }


def _catalogue(app_label: str) -> dict[str, str]:
    """The app's own catalogue, plus crm's for the role choices it reuses."""
    catalogue = _po("crm", "locale")
    catalogue.update(_po(app_label, "locale"))
    return catalogue


def _msgid(label) -> str | None:
    """The msgid of a lazy gettext label (None for a plain, untranslated str)."""
    if isinstance(label, Promise):
        # gettext_lazy proxies keep their arguments.
        args = getattr(label, "_args", None) or getattr(label, "_proxy____args", None)
        if args:
            return args[0]
    return None


def _labels(app_label: str):
    for model in apps.get_app_config(app_label).get_models():
        opts = model._meta
        name = model.__name__
        yield f"{name} verbose_name", opts.verbose_name
        yield f"{name} verbose_name_plural", opts.verbose_name_plural
        if opts.proxy:
            continue
        for field in opts.get_fields(include_parents=False):
            if field.auto_created or not getattr(field, "concrete", False):
                continue
            if field.model is not model:
                continue
            yield f"{name}.{field.name}", field.verbose_name
            for value, label in field.flatchoices or []:
                if value in ("", None):
                    continue
                yield f"{name}.{field.name}={value}", label


@pytest.mark.parametrize("app_label", APPS)
def test_every_label_is_lazily_translatable(app_label):
    plain = [
        where
        for where, label in _labels(app_label)
        if not isinstance(label, Promise)
        # Django derives a default verbose_name from the attribute name.
        and not where.endswith("verbose_name_plural")
    ]
    assert plain == [], f"labels not wrapped in gettext_lazy: {plain}"


@pytest.mark.parametrize("app_label", APPS)
def test_every_label_has_a_chinese_translation(app_label):
    catalogue = _catalogue(app_label)
    missing = []
    for where, label in _labels(app_label):
        msgid = _msgid(label)
        if msgid is not None and msgid not in catalogue:
            missing.append(f"{where}: {msgid!r}")
    assert missing == [], (
        f"{app_label}/locale/zh_Hans/LC_MESSAGES/django.po lacks: " + "; ".join(missing)
    )


def test_labels_render_in_chinese():
    from django.utils import translation

    from complaints.models import Complaint
    from training.models import Assessment

    with translation.override("zh-hans"):
        assert str(Complaint._meta.verbose_name) != "complaint"
        assert str(Complaint.Status.ON_HOLD.label) != "on hold"
        assert str(Assessment._meta.verbose_name) != "assessment"


@pytest.mark.parametrize("app_label", APPS)
def test_catalogue_has_no_fuzzy_or_empty_entries(app_label):
    """A fuzzy entry is not compiled (the admin would show English) and often
    holds a wrong guess from a similar msgid."""
    path = Path(settings.BASE_DIR).joinpath(
        app_label, "locale", "zh_Hans", "LC_MESSAGES", "django.po"
    )
    po = polib.pofile(str(path))
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    empty = [
        e.msgid
        for e in po
        if not e.obsolete and not e.msgstr and not any(e.msgstr_plural.values())
    ]
    assert fuzzy == [] and empty == [], {"fuzzy": fuzzy, "empty": empty}


TRANSLATE_TAG = re.compile(
    r"""{%\s*translate\s+(["'])(.+?)\1(?:\s+context\s+(["'])(.+?)\3)?\s*(?:noop\s*)?%}"""
)


def test_every_translate_tag_of_the_templates_is_chinese():
    """Each ``{% translate "…" %}`` literal of the project's templates has a
    Chinese translation under the msgid Django looks up — with percent signs
    doubled, as templates do (a catalogue entry "Pass rate (%)" is never
    found: the page showed English)."""
    from django.utils import translation

    base = Path(settings.BASE_DIR)
    untranslated = set()
    for template in base.glob("*/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for _q, literal, _c, context in TRANSLATE_TAG.findall(template.read_text()):
            msgid = literal.replace("%", "%%")
            with translation.override("zh-hans"):
                found = (
                    translation.pgettext(context, msgid)
                    if context
                    else translation.gettext(msgid)
                )
                if found == msgid:
                    untranslated.add((template.relative_to(base).as_posix(), literal))
    assert sorted(untranslated) == []
