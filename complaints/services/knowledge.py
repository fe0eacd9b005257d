"""Writes of the knowledge base (知识库): articles, their versions, their use
on complaints and the owners' review reminders.

Supervisors, managers and administrators (``EDITORS``) write articles; every
member of staff who works complaints reads the published ones and records that
an article helped on a complaint (``article_use``). Editing a published
article's text keeps the text it replaces as an ``ArticleVersion`` row (the
article's ``version`` counts up); a draft is edited in place.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Article, ArticleUse, ArticleVersion, Complaint
from complaints.services import clock, permissions
from config.errors import InvalidInput, NotPermitted
from crm.notifications import notify

EDITORS = permissions.LEADS
# The text a version keeps; a change to any of them makes a new version.
TEXT_FIELDS = ("title", "problem", "cause", "solution", "keywords")
EDITABLE_FIELDS = (*TEXT_FIELDS, "language", "status", "owner", "review_date")


def _check(article: Article) -> None:
    if not (article.title or "").strip():
        raise InvalidInput(_("An article needs a title."), field="title")
    article.full_clean(exclude=["categories"])


@transaction.atomic
def article_create(
    *,
    actor,
    title: str,
    problem: str,
    solution: str,
    owner,
    review_date: date,
    cause: str = "",
    keywords: str = "",
    language: str = Article.Language.ZH_HANS,
    status: str = Article.Status.DRAFT,
    categories=(),
) -> Article:
    """A new article (version 1) owned by ``owner``, in ``categories``."""
    permissions.require_role(actor, EDITORS)
    article = Article(
        title=title,
        problem=problem,
        cause=cause,
        solution=solution,
        keywords=keywords,
        language=language,
        status=status,
        owner=owner,
        review_date=review_date,
    )
    _check(article)
    article.save()
    article.categories.set(categories)
    return article


@transaction.atomic
def article_update(
    *, actor, article: Article, changes: dict, categories=None
) -> Article:
    """Change an article's fields (``changes``: names of ``EDITABLE_FIELDS``)
    and, when given, its categories.

    When the text of a *published* article changes, the text it had is first
    kept as an ``ArticleVersion`` (its number) and the article's version counts
    up, so earlier readers can still read what they read. Only what differs is
    saved; nothing is written when nothing differs.
    """
    permissions.require_role(actor, EDITORS)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            _("This cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(unknown)}
        )
    locked = Article.objects.select_for_update().get(pk=article.pk)
    changed = [n for n, v in changes.items() if getattr(locked, n) != v]
    if categories is not None:
        before = set(locked.categories.values_list("pk", flat=True))
        if before != {c.pk for c in categories}:
            locked.categories.set(categories)
    if not changed:
        return locked
    text_changed = any(n in TEXT_FIELDS for n in changed)
    if text_changed and locked.status == Article.Status.PUBLISHED:
        ArticleVersion.objects.create(
            article=locked,
            version=locked.version,
            saved_at=clock.now(),
            saved_by=actor,
            **{n: getattr(locked, n) for n in TEXT_FIELDS},
        )
        locked.version += 1
        changed.append("version")
    for name in changes:
        setattr(locked, name, changes[name])
    _check(locked)
    locked.save(update_fields=[*changed, "updated_at"])
    return locked


@transaction.atomic
def article_use(*, actor, article: Article, complaint: Complaint) -> bool:
    """Record that ``article`` helped ``actor`` on ``complaint``; True when this
    call counted it. Counted once per complaint, article and user (a unique
    row; a repeated or concurrent click counts nothing). Only published
    articles, only on a complaint the actor works."""
    permissions.require_role(actor, permissions.WORKERS | EDITORS)
    permissions.require_scope(actor, complaint)
    if article.status != Article.Status.PUBLISHED:
        raise NotPermitted(_("Only a published article can be used."))
    try:
        with transaction.atomic():
            ArticleUse.objects.create(
                article=article, complaint=complaint, user=actor, used_at=clock.now()
            )
    except IntegrityError:
        return False
    Article.objects.filter(pk=article.pk).update(used_count=F("used_count") + 1)
    return True


def article_review_reminders(*, today: date | None = None) -> int:
    """Notify each owner once of an article whose review date has passed.

    Run daily by beat (task ``complaints.article_review_reminders``). Each
    article is claimed by a conditional UPDATE (``review_reminded_for`` set to
    its review date unless already so) in its own transaction, and the
    notification's key names the article and the date: exactly once even when
    two runs overlap. A new review date re-arms the reminder. Returns how many
    owners this run notified. Retired articles are not reviewed.
    """
    today = today or timezone.localdate()
    sent = 0
    for pk, review_date in selectors.articles_to_review(today=today):
        with transaction.atomic():
            claimed = (
                Article.objects.filter(pk=pk, review_date=review_date)
                .exclude(review_reminded_for=review_date)
                .update(review_reminded_for=review_date)
            )
            if not claimed:
                continue
            article = Article.objects.select_related("owner").get(pk=pk)
            _row, created = notify(
                recipient=article.owner,
                kind="kb_review_due",
                title=_("Knowledge article to review: %(title)s (since %(date)s)")
                % {"title": article.title, "date": review_date.isoformat()},
                link=reverse("admin:complaints_article_change", args=[pk]),
                key=f"kb-review:{pk}:{review_date.isoformat()}",
            )
            sent += created
    return sent
