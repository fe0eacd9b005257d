"""The knowledge base (知识库): versioned articles, search, suggestions on the
complaint page, usage counted once, the owner's review reminder exactly once,
permissions per role and pinned query counts."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from complaints import selectors
from complaints.models import Article, ArticleUse, ArticleVersion, Category
from complaints.services import (
    article_create,
    article_review_reminders,
    article_update,
    article_use,
)
from config.errors import NotPermitted
from crm.models import Notification
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)


def _article(org, title="快件延误怎么办", status="published", **kw):
    data = {
        "problem": "客户反映快件超过承诺时效仍未送达。",
        "cause": "中转站爆仓或天气原因导致延误。",
        "solution": "查询物流节点，联系网点加急派送，并告知客户预计送达时间。",
        "keywords": "延误 未送达 时效",
        "review_date": TODAY + timedelta(days=90),
        "owner": org.supervisor_a,
        "status": status,
    }
    data.update(kw)
    categories = data.pop("categories", [Category.objects.get(code="late")])
    return article_create(
        actor=org.supervisor_a, title=title, categories=categories, **data
    )


def test_editing_a_published_article_keeps_the_earlier_text(org):
    # given a published article (version 1)
    article = _article(org)
    # when a supervisor rewrites its solution
    article = article_update(
        actor=org.manager_a,
        article=article,
        changes={"solution": "先致歉，再查询物流节点并加急派送。"},
    )
    # then the article is version 2 and version 1 keeps the text it had
    assert article.version == 2
    assert article.solution == "先致歉，再查询物流节点并加急派送。"
    old = ArticleVersion.objects.get(article=article)
    assert (old.version, old.saved_by) == (1, org.manager_a)
    assert old.solution == "查询物流节点，联系网点加急派送，并告知客户预计送达时间。"
    assert old.title == "快件延误怎么办"


def test_a_draft_is_edited_in_place_and_no_change_writes_nothing(org):
    draft = _article(org, status="draft")
    draft = article_update(
        actor=org.supervisor_a, article=draft, changes={"title": "延误"}
    )
    assert (draft.version, draft.title) == (1, "延误")
    assert ArticleVersion.objects.count() == 0
    published = article_update(
        actor=org.supervisor_a, article=draft, changes={"status": "published"}
    )
    same = article_update(
        actor=org.supervisor_a, article=published, changes={"title": "延误"}
    )
    assert (same.version, ArticleVersion.objects.count()) == (1, 0)


def test_agents_may_not_write_articles(org):
    with pytest.raises(NotPermitted):
        article_create(
            actor=org.agent_a,
            title="x",
            problem="x",
            solution="x",
            owner=org.agent_a,
            review_date=TODAY,
        )
    article = _article(org)
    with pytest.raises(NotPermitted):
        article_update(actor=org.agent_a, article=article, changes={"title": "y"})


def test_search_finds_words_in_title_problem_solution_keywords(org):
    late = _article(org)
    rude = _article(
        org,
        title="快递员态度恶劣的处理",
        problem="客户投诉快递员言语不文明。",
        solution="向客户致歉，安排礼仪培训。",
        keywords="态度 礼仪",
        categories=[Category.objects.get(code="rude_courier")],
    )
    _article(org, title="延误草稿", status="draft")
    rows = selectors.article_list(user=org.agent_a)

    def found(term):
        return sorted(a.title for a in selectors.article_search(rows, term))

    assert found("延误") == [late.title]  # the draft is not for agents
    assert found("礼仪") == [rude.title]  # keywords and solution
    assert found("言语不文明") == [rude.title]  # problem
    assert found("加急 时效") == [late.title]  # every word
    assert found("致歉 时效") == []
    editor_rows = selectors.article_list(user=org.supervisor_a)
    assert sorted(a.title for a in selectors.article_search(editor_rows, "延误")) == [
        "延误草稿",
        "快件延误怎么办",
    ]


def test_suggestions_by_category_then_subject_words(org):
    # given: an article of the complaint's subcategory, one found by a subject
    # word only, one of another category without the words, a retired one
    late = _article(org)
    by_words = _article(
        org,
        title="物流信息长时间未更新",
        keywords="物流 未更新",
        categories=[Category.objects.get(code="lost")],
    )
    _article(
        org,
        title="快递员态度恶劣的处理",
        keywords="态度",
        categories=[Category.objects.get(code="rude_courier")],
    )
    _article(org, title="延误旧文", status="retired")
    complaint = make_complaint(
        actor=org.agent_a, subcategory="late", subject="快件延误，物流信息未更新"
    )
    titles = [
        a.title
        for a in selectors.article_suggestions(user=org.agent_a, complaint=complaint)
    ]
    assert titles == [late.title, by_words.title]
    # a complaint of another category finds the late article by its words only
    other = make_complaint(
        actor=org.agent_a, category="attitude", subject="客户说快递员态度差"
    )
    assert [
        a.title
        for a in selectors.article_suggestions(user=org.agent_a, complaint=other)
    ] == ["快递员态度恶劣的处理"]


def test_at_most_five_suggestions(org):
    for i in range(7):
        _article(org, title=f"延误处理 {i}")
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    assert (
        len(selectors.article_suggestions(user=org.agent_a, complaint=complaint)) == 5
    )


def test_suggestions_prefer_the_customers_language_then_the_others(
    org, settings, django_assert_num_queries
):
    from complaints.models import Complaint
    from tests.factories.crm import CustomerFactory

    settings.KEFU_MESSAGE_LANGUAGE = "zh-hans"
    # given a Chinese and an English article of the same subcategory, the
    # Chinese one used more often
    chinese = _article(org, title="快件延误怎么办")
    Article.objects.filter(pk=chinese.pk).update(used_count=9)
    english = _article(
        org,
        title="Late delivery: what to do",
        keywords="late delay",
        language="en",
    )
    # a customer who reads English gets the English article first, the
    # Chinese one after it (a fallback, not filtered out)
    reader = CustomerFactory(department=org.agent_a.department, preferred_language="en")
    complaint = make_complaint(actor=org.agent_a, customer=reader, subcategory="late")
    found = selectors.article_suggestions(user=org.agent_a, complaint=complaint)
    assert [a.title for a in found] == [english.title, chinese.title]
    # the same order when the customer is not loaded: still one query
    fresh = Complaint.objects.get(pk=complaint.pk)
    with django_assert_num_queries(1):
        found = selectors.article_suggestions(user=org.agent_a, complaint=fresh)
    assert [a.title for a in found] == [english.title, chinese.title]
    # a customer without a preference: the messages' language (Chinese) first
    plain = make_complaint(actor=org.agent_a, subcategory="late")
    assert [
        a.title
        for a in selectors.article_suggestions(user=org.agent_a, complaint=plain)
    ] == [chinese.title, english.title]
    # an English-only article base still answers a Chinese-speaking customer
    Article.objects.filter(pk=chinese.pk).update(status="retired")
    assert [
        a.title
        for a in selectors.article_suggestions(
            user=org.agent_a, complaint=Complaint.objects.get(pk=plain.pk)
        )
    ] == [english.title]
    # and the messages' language is the default for customers without one
    settings.KEFU_MESSAGE_LANGUAGE = "en"
    Article.objects.filter(pk=chinese.pk).update(status="published")
    assert [
        a.title
        for a in selectors.article_suggestions(user=org.agent_a, complaint=plain)
    ] == [english.title, chinese.title]


def test_usage_is_counted_once_per_complaint_article_and_user(org):
    article = _article(org)
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    assert article_use(actor=org.agent_a, article=article, complaint=complaint) is True
    assert article_use(actor=org.agent_a, article=article, complaint=complaint) is False
    assert article_use(actor=org.supervisor_a, article=article, complaint=complaint)
    article.refresh_from_db()
    assert article.used_count == 2
    assert ArticleUse.objects.filter(article=article).count() == 2


def test_a_draft_cannot_be_used(org):
    draft = _article(org, status="draft")
    complaint = make_complaint(actor=org.agent_a)
    with pytest.raises(NotPermitted):
        article_use(actor=org.supervisor_a, article=draft, complaint=complaint)
    assert ArticleUse.objects.count() == 0


def test_the_used_button_counts_once_and_returns_to_the_complaint(org, client):
    article = _article(org)
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    client.force_login(org.agent_a)
    url = reverse("admin:complaints_article_use", args=[article.pk, complaint.pk])
    back = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    assert client.post(url).url == back
    assert client.post(url).url == back
    assert client.get(url).status_code == 405
    article.refresh_from_db()
    assert article.used_count == 1


def test_an_agent_cannot_use_an_article_on_a_complaint_out_of_scope(org, client):
    article = _article(org)
    theirs = make_complaint(actor=org.agent_b)
    client.force_login(org.agent_a)
    url = reverse("admin:complaints_article_use", args=[article.pk, theirs.pk])
    assert client.post(url).status_code == 404
    assert ArticleUse.objects.count() == 0


def test_review_reminder_exactly_once_and_rearmed_by_a_new_date(org):
    # given an article whose review date passed yesterday, and one due today
    article = _article(org, review_date=TODAY - timedelta(days=1))
    _article(org, title="今天复核", review_date=TODAY)
    # when the daily task runs twice
    assert article_review_reminders(today=TODAY) == 1
    assert article_review_reminders(today=TODAY) == 0
    # then the owner has one notification
    rows = Notification.objects.filter(kind="kb_review_due")
    assert [(n.recipient, n.key) for n in rows] == [
        (org.supervisor_a, f"kb-review:{article.pk}:2026-12-01")
    ]
    # a new review date re-arms it: reminded again once that date has passed
    article_update(
        actor=org.supervisor_a,
        article=article,
        changes={"review_date": TODAY + timedelta(days=30)},
    )
    assert article_review_reminders(today=TODAY) == 0
    assert article_review_reminders(today=TODAY + timedelta(days=31)) == 2
    assert article_review_reminders(today=TODAY + timedelta(days=31)) == 0
    assert Notification.objects.filter(kind="kb_review_due").count() == 3


def test_review_reminder_claimed_by_one_of_two_overlapping_runs(org):
    # a run that found the article before another run claimed it sends nothing
    article = _article(org, review_date=TODAY - timedelta(days=3))
    seen = list(selectors.articles_to_review(today=TODAY))
    assert seen == [(article.pk, TODAY - timedelta(days=3))]
    assert article_review_reminders(today=TODAY) == 1
    claimed = (
        Article.objects.filter(pk=article.pk, review_date=seen[0][1])
        .exclude(review_reminded_for=seen[0][1])
        .update(review_reminded_for=seen[0][1])
    )
    assert claimed == 0
    assert Notification.objects.filter(kind="kb_review_due").count() == 1


def test_retired_articles_are_not_reviewed(org):
    _article(org, status="retired", review_date=TODAY - timedelta(days=1))
    assert article_review_reminders(today=TODAY) == 0


# --- the admin: permissions per role -------------------------------------------


def test_agent_reads_published_articles_only(org, client):
    published = _article(org)
    draft = _article(org, title="草稿", status="draft")
    client.force_login(org.agent_a)
    response = client.get(reverse("admin:complaints_article_changelist"))
    assert [a.title for a in response.context["cl"].result_list] == [published.title]
    page = client.get(reverse("admin:complaints_article_change", args=[published.pk]))
    assert page.status_code == 200
    assert "查询物流节点" in page.content.decode()
    hidden = client.get(reverse("admin:complaints_article_change", args=[draft.pk]))
    assert hidden.status_code == 302
    # read-only: a POST changes nothing
    client.post(
        reverse("admin:complaints_article_change", args=[published.pk]),
        {"title": "改了"},
    )
    published.refresh_from_db()
    assert published.title == "快件延误怎么办"


def test_supervisor_edits_in_the_admin_and_the_old_version_is_listed(org, client):
    article = _article(org)
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_article_change", args=[article.pk])
    data = {
        "title": article.title,
        "problem": article.problem,
        "cause": article.cause,
        "solution": "新的解决办法：加急派送并补偿运费。",
        "keywords": article.keywords,
        "categories": [c.pk for c in article.categories.all()],
        "language": "zh-hans",
        "status": "published",
        "owner": org.supervisor_a.pk,
        "review_date": article.review_date.isoformat(),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.version, article.solution) == (
        2,
        "新的解决办法：加急派送并补偿运费。",
    )
    page = client.get(url).content.decode()
    assert "较早版本" in page
    assert "查询物流节点，联系网点加急派送" in page  # version 1, readable


def test_supervisor_searches_the_admin_list(org, client):
    _article(org)
    _article(org, title="退款进度查询", keywords="退款", categories=[])
    client.force_login(org.supervisor_a)
    response = client.get(reverse("admin:complaints_article_changelist"), {"q": "退款"})
    assert [a.title for a in response.context["cl"].result_list] == ["退款进度查询"]


# --- the complaint page's panel and query counts -------------------------------


def test_complaint_page_suggests_articles_with_a_used_button(org, client):
    article = _article(org)
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    client.force_login(org.agent_a)
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    html = page.content.decode()
    assert "知识库：推荐文章" in html
    assert reverse("admin:complaints_article_change", args=[article.pk]) in html
    assert (
        reverse("admin:complaints_article_use", args=[article.pk, complaint.pk]) in html
    )


def test_suggestion_panel_costs_one_query(org, django_assert_num_queries):
    for i in range(5):
        _article(org, title=f"延误处理 {i}")
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    user = org.agent_a
    selectors.article_suggestions(user=user, complaint=complaint)  # roles cached
    with django_assert_num_queries(1):
        assert len(selectors.article_suggestions(user=user, complaint=complaint)) == 5


def test_article_list_query_count_is_pinned(org, client, django_assert_num_queries):
    _article(org)
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_article_changelist")
    client.get(url)
    with django_assert_num_queries(8):
        client.get(url)
    for i in range(10):
        _article(org, title=f"文章 {i}")
    with django_assert_num_queries(8):
        assert len(client.get(url).context["cl"].result_list) == 11


# --- the demo ------------------------------------------------------------------


class _Ctx:
    def __init__(self):
        self.lines = []

    def say(self, text):
        self.lines.append(text)


def test_demo_articles_are_seeded_once_through_the_services(org):
    from complaints.demo_knowledge import ARTICLES, REWRITTEN, seed_articles

    ctx = _Ctx()
    seed_articles(ctx)
    seed_articles(ctx)
    assert ctx.lines == [
        f"  knowledge base: {len(ARTICLES)} articles",
        f"  knowledge base: {len(ARTICLES)} articles already there",
    ]
    assert Article.objects.count() == len(ARTICLES) == 30
    assert Article.objects.filter(status="draft").count() == 1
    assert ArticleVersion.objects.count() == len(REWRITTEN) == 2
    assert Article.objects.filter(categories__isnull=True).count() == 0
    late = Article.objects.get(title="快件超过承诺时效未送达")
    assert late.version == 2
    assert [c.code for c in late.categories.all()] == ["late"]
    assert late.owner.groups.filter(name__in=["supervisor", "manager"]).exists()
    # a late-delivery complaint is offered the demo's late-delivery articles
    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    titles = [
        a.title
        for a in selectors.article_suggestions(user=org.agent_a, complaint=complaint)
    ]
    # the subcategory's articles first, by the words of the subject found
    # ("快件延误三天未送达"), then the category's (service quality)
    assert titles == [
        "快件超过承诺时效未送达",
        "节假日及大促期间派送延误",
        "快递员未按约定时间上门取件",
        "物流信息长时间停滞",
        "首次回复客户的标准步骤",
    ]


def test_complaint_page_panel_costs_the_same_for_one_or_five_articles(
    org, client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    complaint = make_complaint(actor=org.agent_a, subcategory="late")
    _article(org)
    client.force_login(org.agent_a)
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert "快件延误怎么办" in client.get(url).content.decode()
    for i in range(6):
        _article(org, title=f"延误处理 {i}")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("采用此文章") == 5
