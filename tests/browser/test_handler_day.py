"""handler01's day: analysis → handling → reply → resolve in the workflow panel."""

from complaints.models import Complaint, ComplaintReply
from complaints.services import complaint_assign, complaint_start_analysis
from tests.browser.world import make_world
from tests.factories.complaints import make_complaint

HANDLER_BUDGET = 8


def test_handler_takes_a_complaint_from_analysis_to_resolved(desk):
    w = make_world()
    c = make_complaint(actor=w.agent01, customer=w.customer)
    c = complaint_start_analysis(actor=w.agent01, complaint=c)
    c = complaint_assign(actor=w.supervisor01, complaint=c, assignee=w.handler01)

    d = desk("handler01")
    assert d.page.url.endswith("/")  # the login lands on the home
    d.check("home")
    d.click(f"#desk-mine a[href$='/complaint/{c.pk}/workflow/']")
    d.check("panel-analysis")
    assert d.page.input_value("select[name=action]") == "record_analysis"
    d.page.fill("textarea[name=text]", "派送员未按约定时间派送，客户多次催促无果。")
    d.select("select[name=cause_type]", value="staff_error")
    d.click("input[type=submit][value=执行]")
    assert "分析" in d.message()
    d.check("panel-handling")
    assert d.page.input_value("select[name=action]") == "start_handling"
    d.click("input[type=submit][value=执行]")
    d.check("panel-reply")
    assert d.page.input_value("select[name=action]") == "reply"
    d.page.fill("textarea[name=text]", "李女士您好，感谢您的耐心，已为您加急派送。")
    # the composer: a standard phrase (服务用语) appended to the text
    follow_up = "我们会在 24 小时内再次与您联系，确认问题已解决。"
    d.select("select[name=phrase]", value=follow_up)
    assert d.page.input_value("textarea[name=text]").endswith(follow_up)
    d.click("input[type=submit][value=执行]")
    d.check("panel-resolve")
    assert d.page.input_value("select[name=action]") == "resolve"
    d.select("select[name=resolution_type]", value="redelivery")
    d.click("input[type=submit][value=执行]")
    d.check("resolved")

    c.refresh_from_db()
    assert c.status == Complaint.Status.RESOLVED
    assert c.analyzed_at and c.replied_at and c.resolved_at
    assert c.cause_type == "staff_error" and c.resolution_type == "redelivery"
    reply = ComplaintReply.objects.get(complaint=c, body__contains="加急派送")
    assert reply.body.endswith(follow_up)
    assert d.clicks <= HANDLER_BUDGET, d.clicks
