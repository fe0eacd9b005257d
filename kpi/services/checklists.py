"""Quality-inspection checklists (质检评分表) as versioned data.

A checklist version that no inspection has used yet is edited in place; once
used, an edit of its content (kind, name, pass mark, items) saves the next
version of the family (same ``code``) and makes it the active one, so every
earlier inspection keeps the items it was scored on. Switching a version on or
off only changes which version of the family is active (one at a time).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotPermitted
from kpi.models import Checklist, ChecklistItem

ITEM_FIELDS = ("code", "label", "weight", "max_score", "pass_mark")
# An item's code names its score field on the inspection form, beside these.
RESERVED_CODES = frozenset(
    {
        "checklist",
        "complaint",
        "interaction",
        "staff",
        "inspected_at",
        "comments",
        # the inspection's own fields (read-only on its page) and its id
        "total",
        "passed",
        "inspector",
        "id",
    }
)


def checklist_active(*, kind: str | None = None, code: str | None = None):
    """The active version of the family ``code``, else of the first active
    family of ``kind`` (by code); None when there is none."""
    qs = Checklist.objects.filter(is_active=True)
    if code is not None:
        return qs.filter(code=code).first()
    return qs.filter(kind=kind).order_by("code").first()


def checklist_is_used(checklist: Checklist) -> bool:
    return checklist.pk is not None and checklist.inspections.exists()


def _decimal(value, *, field: str, low: Decimal, high: Decimal | None) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite() or number < low or (high is not None and number > high):
        raise InvalidInput(
            _("Enter a number from %(low)s to %(high)s.")
            % {"low": low, "high": high if high is not None else "∞"},
            field=field,
        )
    return number


def _clean_items(items: list[dict]) -> list[dict]:
    if not items:
        raise InvalidInput(_("A checklist needs at least one item."), field="items")
    cleaned, codes = [], set()
    for position, item in enumerate(items, start=1):
        label = (item.get("label") or "").strip()
        if not label:
            raise InvalidInput(_("Name every item."), field="label")
        code = slugify(item.get("code") or "").replace("-", "_") or f"item_{position}"
        if code in RESERVED_CODES:
            raise InvalidInput(
                _("Item code %(code)s is reserved: choose another.") % {"code": code},
                field="code",
            )
        if code in codes:
            raise InvalidInput(
                _("Item code %(code)s is used twice.") % {"code": code}, field="code"
            )
        codes.add(code)
        max_score = item.get("max_score")
        if max_score is None or max_score == "":
            max_score = 100  # not given: a percentage scale
        if not isinstance(max_score, int) or max_score < 1:
            raise InvalidInput(_("The maximum score is at least 1."), field="max_score")
        cleaned.append(
            {
                "code": code,
                "label": label,
                "position": position,
                "weight": _decimal(
                    item.get("weight", 1),
                    field="weight",
                    low=Decimal("0.01"),
                    high=Decimal("9999"),
                ),
                "max_score": max_score,
                "pass_mark": _decimal(
                    item.get("pass_mark", 0),
                    field="pass_mark",
                    low=Decimal(0),
                    high=Decimal(100),
                ),
            }
        )
    return cleaned


def _content(checklist: Checklist, items) -> tuple:
    return (
        checklist.kind,
        checklist.name,
        Decimal(checklist.pass_mark),
        [tuple(item[f] for f in ("position", *ITEM_FIELDS)) for item in items],
    )


def _stored_items(checklist: Checklist) -> list[dict]:
    return [
        {
            "position": item.position,
            "code": item.code,
            "label": item.label,
            "weight": item.weight,
            "max_score": item.max_score,
            "pass_mark": item.pass_mark,
        }
        for item in checklist.items.order_by("position", "pk")
    ]


def _deactivate_others(checklist: Checklist) -> None:
    Checklist.objects.filter(code=checklist.code, is_active=True).exclude(
        pk=checklist.pk
    ).update(is_active=False)


@transaction.atomic
def checklist_save(
    *,
    actor,
    checklist: Checklist | None,
    code: str,
    kind: str,
    name: str,
    pass_mark,
    is_active: bool = True,
    items: list[dict],
) -> Checklist:
    """Create a checklist, or save an edit of ``checklist``; return the version
    saved (a new one when the edited version was used and its content changed).

    ``items``: dicts of ``code``, ``label``, ``weight``, ``max_score``,
    ``pass_mark`` (a percentage of the maximum), in their order.
    """
    perm = "kpi.add_checklist" if checklist is None else "kpi.change_checklist"
    if actor is None or not actor.has_perm(perm):
        raise NotPermitted(_("You may not edit inspection checklists."))
    if kind not in Checklist.Kind.values:
        raise InvalidInput(_("Choose the kind of checklist."), field="kind")
    if not (name or "").strip():
        raise InvalidInput(_("Name the checklist."), field="name")
    pass_mark = _decimal(
        pass_mark, field="pass_mark", low=Decimal(0), high=Decimal(100)
    )
    cleaned = _clean_items(items)
    wanted = Checklist(kind=kind, name=name.strip(), pass_mark=pass_mark)

    if checklist is None:
        code = slugify(code or "")
        if not code:
            raise InvalidInput(_("Give the checklist a code."), field="code")
        if Checklist.objects.filter(code=code).exists():
            raise InvalidInput(
                _("A checklist with this code exists: edit it instead."), field="code"
            )
        target = Checklist(code=code, version=1, is_active=is_active)
    else:
        # The whole family is locked: two edits of its versions at once must
        # not both save "the next version".
        list(
            Checklist.objects.select_for_update()
            .filter(code=checklist.code)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
        unchanged = _content(checklist, _stored_items(checklist)) == _content(
            wanted, cleaned
        )
        if unchanged or not checklist_is_used(checklist):
            target = checklist
        else:
            # Used: the edit is the family's next version; the old one stays as
            # the inspections made with it were scored.
            last = Checklist.objects.filter(code=checklist.code).aggregate(
                v=Max("version")
            )["v"]
            target = Checklist(code=checklist.code, version=last + 1)
        target.is_active = is_active
        if unchanged:
            if is_active:
                _deactivate_others(target)
            target.save(update_fields=["is_active"])
            return target

    target.kind, target.name, target.pass_mark = kind, wanted.name, pass_mark
    if target.is_active:
        if target.pk is None and checklist is not None:
            Checklist.objects.filter(code=target.code, is_active=True).update(
                is_active=False
            )
        else:
            _deactivate_others(target)
    target.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        # a concurrent creation of the same code (the family lock covers edits)
        raise InvalidInput(
            _("A checklist with this code exists: edit it instead."), field="code"
        ) from None
    if checklist is not None and target.pk == checklist.pk:
        target.items.all().delete()  # unused: nothing refers to its items yet
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=target, **item) for item in cleaned
    )
    return target
