"""handler01 adopts a suggested knowledge-base article on the complaint page
(知识库：推荐文章 → 采用此文章): the use is recorded once, in two clicks."""

from datetime import timedelta

from django.utils import timezone

from complaints.models import Article, ArticleUse, Category
from complaints.services import article_create, complaint_assign
from tests.browser.world import make_world
from tests.factories.complaints import make_complaint

KNOWLEDGE_BUDGET = 2  # open the complaint, adopt the article


def test_handler_adopts_a_suggested_article(desk):
    w = make_world()
    late = Category.objects.get(code="late")
    article = article_create(
        actor=w.supervisor01,
        title="快件超过承诺时效未送达",
        problem="客户反映快件超过承诺时效仍未送达。",
        cause="中转站爆仓或天气原因导致延误。",
        solution="查询物流节点，联系网点加急派送，并告知客户预计送达时间。",
        keywords="延误 未送达",
        owner=w.supervisor01,
        review_date=timezone.localdate() + timedelta(days=90),
        status=Article.Status.PUBLISHED,
        categories=[late],
    )
    c = make_complaint(
        actor=w.agent01,
        customer=w.customer,
        subcategory="late",
        subject="快件延误三天未送达",
    )
    c = complaint_assign(actor=w.supervisor01, complaint=c, assignee=w.handler01)

    d = desk("handler01")
    d.check("home")
    d.click(f"#desk-mine a[href$='/complaint/{c.pk}/change/']")
    text = d.check("complaint")
    assert "知识库：推荐文章" in text and article.title in text
    panel = d.page.locator("#kb-suggestions li", has_text=article.title)
    d.click(panel.locator("button", has_text="采用此文章"))
    d.check("adopted")
    assert article.title in d.message() and "已" in d.message()
    assert d.page.url.endswith(f"/complaint/{c.pk}/change/")

    use = ArticleUse.objects.get(article=article, complaint=c)
    assert use.user == w.handler01
    article.refresh_from_db()
    assert article.used_count == 1
    assert d.clicks <= KNOWLEDGE_BUDGET, d.clicks
