"""The knowledge base on the complaint page: ``{% knowledge_suggestions
original as articles %}`` gives the published articles suggested for the
complaint (``complaints.selectors.article_suggestions``), none for a reader
without the right to read articles."""

from __future__ import annotations

from django import template

from complaints import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def knowledge_suggestions(context, complaint) -> list:
    request = context.get("request")
    if complaint is None or not getattr(complaint, "pk", None) or request is None:
        return []
    if not request.user.has_perm("complaints.view_article"):
        return []
    return selectors.article_suggestions(user=request.user, complaint=complaint)
