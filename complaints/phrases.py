"""Standard phrases (服务用语) for replies, from the seeds' wording
(/work/shared/seeds: service-etiquette manual ch. 3, complaint-handling
process ch. 4): by step, optionally by category and channel, in Chinese and
English, with the variables {customer_name} {reference} {due}.

The reply composer (the workflow panel) offers them; ``reply_parts_missing``
says which parts a solution reply lacks (thanks, solution, follow-up) and
``forbidden_in`` which configured forbidden phrases (KEFU_FORBIDDEN_PHRASES) a
text contains. A library in code for now (an editable model is issue 15's next
step).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STEPS = (
    ("greeting", _("greeting")),
    ("apology", _("apology")),
    ("explanation", _("explanation")),
    ("solution", _("solution")),
    ("follow_up", _("follow-up")),
    ("closing", _("closing")),
)


@dataclass(frozen=True)
class Phrase:
    code: str
    step: str
    zh: str
    en: str
    category: str = ""  # a category code, "" = every category
    channel: str = ""  # a channel, "" = every channel


PHRASES = (
    Phrase(
        "greet",
        "greeting",
        "{customer_name}您好，感谢您的反馈。",
        "Dear {customer_name}, thank you for your feedback.",
    ),
    Phrase(
        "apology",
        "apology",
        "给您带来不便，我们深表歉意。",
        "We are sorry for the inconvenience caused.",
    ),
    Phrase(
        "explain",
        "explanation",
        "经核实，您反映的问题（投诉编号 {reference}）原因如下：",
        "We have checked your complaint {reference}; the cause is:",
    ),
    Phrase(
        "solution-delivery",
        "solution",
        "我们已为您安排加急派送，预计 {due} 前送达。",
        "We have arranged express delivery, expected before {due}.",
        category="delivery_delay",
    ),
    Phrase(
        "solution", "solution", "我们已为您处理：", "We have resolved it as follows:"
    ),
    Phrase(
        "solution-compensation",
        "solution",
        "我们将按照服务承诺为您办理补偿。",
        "We will compensate you as our service promise says.",
    ),
    Phrase(
        "follow-up",
        "follow_up",
        "我们会在 24 小时内再次与您联系，确认问题已解决。",
        "We will contact you again within 24 hours to confirm the problem is solved.",
    ),
    Phrase(
        "closing",
        "closing",
        "感谢您的支持，我们很乐意为您提供帮助。",
        "Thank you for your support; we are glad to help.",
    ),
)

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
            "退款",
            "派送",
            "resolved",
            "arranged",
            "compensat",
        ),
    ),
    "follow_up": (
        _("follow-up"),
        ("再次与您联系", "回访", "跟进", "确认", "contact you again", "follow"),
    ),
}


def offered(complaint) -> list[Phrase]:
    """The phrases for ``complaint``'s category and channel, by step."""
    category = getattr(complaint.category, "code", "") if complaint.category_id else ""
    order = {code: i for i, (code, _label) in enumerate(STEPS)}
    return sorted(
        (
            p
            for p in PHRASES
            if p.category in ("", category) and p.channel in ("", complaint.channel)
        ),
        key=lambda p: order[p.step],
    )


def render(phrase: Phrase, complaint, language: str = "zh-hans") -> str:
    """The phrase with its variables filled in for ``complaint``."""
    due = complaint.resolution_due_at or complaint.reply_due_at
    text = phrase.en if language.startswith("en") else phrase.zh
    return text.format(
        customer_name=complaint.customer.name if complaint.customer_id else "",
        reference=complaint.reference,
        due=timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
    )


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
