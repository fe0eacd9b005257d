"""Standard phrases (服务用语) for replies: the library is the ``Phrase``
table (supervisors and managers edit it in the admin; seeded from the seeds'
wording by migration 0015), by step, optionally by category and channel, in
Chinese and English, with the variables {customer_name} {reference} {due}.

The reply composer (the workflow panel) offers them; ``reply_parts_missing``
says which parts a solution reply lacks (thanks, solution, follow-up) and
``forbidden_in`` which configured forbidden phrases (KEFU_FORBIDDEN_PHRASES) a
text contains.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Phrase

STEPS = tuple(Phrase.Step.choices)

# Words that show each part of a solution reply (the seeds' process: thank,
# give the solution, follow up and confirm).
REPLY_PARTS = {
    "thanks": (_("thanks"), ("感谢", "谢谢", "thank")),
    "solution": (
        _("solution"),
        (
            "已为您",
            "处理",
            "解决",
            "补偿",
            "赔偿",
            "退款",
            "派送",
            "补发",
            "换货",
            "安排",
            "整改",
            # the apology is the solution of an attitude complaint
            "致歉",
            "道歉",
            "resolved",
            "arranged",
            "compensat",
            "refund",
            "replace",
            "apologi",
        ),
    ),
    "follow_up": (
        _("follow-up"),
        ("再次与您联系", "回访", "跟进", "确认", "contact you again", "follow"),
    ),
}


def offered(complaint) -> list[Phrase]:
    """The active phrases for ``complaint``'s category (or its parent) and
    channel, by step (configuration: every row, no scope)."""
    categories = [c for c in (complaint.category_id, complaint.subcategory_id) if c]
    order = {code: i for i, (code, _label) in enumerate(STEPS)}
    rows = Phrase.objects.filter(is_active=True).filter(
        Q(category__isnull=True) | Q(category_id__in=categories),
        Q(channel="") | Q(channel=complaint.channel),
    )
    return sorted(rows, key=lambda p: (order[p.step], p.sort_order, p.code))


def render(phrase: Phrase, complaint, language: str = "zh-hans") -> str:
    """The phrase with its variables filled in for ``complaint``."""
    due = complaint.resolution_due_at or complaint.reply_due_at
    text = (
        phrase.text_en
        if language.startswith("en") and phrase.text_en
        else phrase.text_zh
    )
    try:
        return text.format(
            customer_name=complaint.customer.name if complaint.customer_id else "",
            reference=complaint.reference,
            due=timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
        )
    except (KeyError, IndexError, ValueError):
        return text  # a variable the form did not allow: shown as typed


def reply_parts_missing(body: str) -> list[str]:
    """The labels of the parts a solution reply lacks (thanks, solution,
    follow-up), empty when it has them all."""
    text = (body or "").lower()
    return [
        str(label)
        for label, words in REPLY_PARTS.values()
        if not any(word.lower() in text for word in words)
    ]


def forbidden_in(body: str) -> list[str]:
    """The configured forbidden phrases (KEFU_FORBIDDEN_PHRASES) in ``body``."""
    return [p for p in settings.KEFU_FORBIDDEN_PHRASES if p and p in (body or "")]
