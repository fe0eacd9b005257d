"""crm admin: scoped lists with pinned query counts, exact phone search, actions
through services, the notification inbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Customer, Notification, Revisit
from crm.notifications import notify
from crm.services import interaction_record
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory, RevisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_customer_list_is_scoped_and_its_queries_do_not_grow(
    org, as_user, django_assert_max_num_queries
):
    for _ in range(3):
        CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    CustomerFactory(department=org.dept_b)
    client = as_user(org.agent_a)
    with django_assert_max_num_queries(12) as ctx:
        response = client.get("/admin/crm/customer/")
    baseline = len(ctx.captured_queries)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3
    for _ in range(20):
        CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    with django_assert_max_num_queries(baseline):
        client.get("/admin/crm/customer/")


def test_customer_search_finds_a_phone_in_any_format_exactly(org, as_user):
    wanted = CustomerFactory(phone="+8613812340000", department=org.dept_a)
    CustomerFactory(phone="+8613812340001", department=org.dept_a)
    client = as_user(org.agent_a)
    for term in ("138 1234 0000", "+86-138-1234-0000", "13812340000"):
        response = client.get("/admin/crm/customer/", {"q": term})
        assert list(response.context["cl"].result_list) == [wanted]
    # A partial number finds nothing: identifiers are only matched whole.
    response = client.get("/admin/crm/customer/", {"q": "1381234"})
    assert list(response.context["cl"].result_list) == []


def test_adding_a_customer_goes_through_the_service(org, as_user):
    client = as_user(org.account_manager_a)
    response = client.post(
        "/admin/crm/customer/add/",
        {
            "kind": "individual",
            "name": "孙丽",
            "tier": "important",
            "lifecycle": "new",
            "tags": "[]",
            "phone": "139 0000 1111",
            "email": "",
            "address": "",
            "owner": org.account_manager_a.pk,
            "department": org.dept_a.pk,
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "external_ids-TOTAL_FORMS": "0",
            "external_ids-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(name="孙丽")
    assert customer.phone == "+8613900001111" and customer.code.startswith("KH")
    assert Revisit.objects.filter(customer=customer).count() == 1  # +7 days rule


def test_adding_a_customer_with_a_taken_phone_shows_the_error(org, as_user):
    CustomerFactory(phone="+8613900002222")
    client = as_user(org.account_manager_a)
    response = client.post(
        "/admin/crm/customer/add/",
        {
            "kind": "individual",
            "name": "重复",
            "tier": "regular",
            "lifecycle": "new",
            "tags": "[]",
            "phone": "13900002222",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "external_ids-TOTAL_FORMS": "0",
            "external_ids-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert Customer.objects.count() == 1


def test_a_duplicate_the_form_did_not_see_is_refused_without_a_500(
    org, as_user, monkeypatch
):
    # given a phone saved by someone else after the form's own duplicate check
    # (modelled by skipping that check): only the service sees the duplicate
    from django.contrib.admin.models import LogEntry
    from django.forms import ModelForm

    from crm.admin_customers import CustomerForm

    CustomerFactory(phone="+8613900002222")
    monkeypatch.setattr(CustomerForm, "clean", ModelForm.clean)
    client = as_user(org.account_manager_a)

    # when the customer is added
    response = client.post(
        "/admin/crm/customer/add/",
        {
            "kind": "individual",
            "name": "重复",
            "tier": "regular",
            "lifecycle": "new",
            "tags": "[]",
            "phone": "13900002222",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "external_ids-TOTAL_FORMS": "0",
            "external_ids-INITIAL_FORMS": "0",
        },
    )

    # then the form comes back with the service's refusal on the phone (it used
    # to look up Customer pk=None and answer 500); nothing saved or logged
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"]
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Customer.objects.count() == 1
    assert not Revisit.objects.exists()
    assert not LogEntry.objects.exists()


def test_customer_page_shows_complaints_interactions_and_revisits(org, as_user):
    customer = CustomerFactory(department=org.dept_a)
    complaint = make_complaint(actor=org.agent_a, customer=customer)
    interaction_record(
        actor=org.agent_a, customer=customer, channel="phone", summary="来电查询物流"
    )
    RevisitFactory(customer=customer)
    html = as_user(org.manager_a).get(f"/admin/crm/customer/{customer.pk}/change/")
    html = html.content.decode()
    assert complaint.reference in html
    assert "来电查询物流" in html
    assert "/admin/crm/revisit/" in html


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_revisit_list_mine_due_today_and_query_count(
    org, as_user, django_assert_max_num_queries
):
    now = timezone.now()
    mine = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
        due_at=now - timedelta(minutes=1),
    )
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
        due_at=now + timedelta(days=3),
    )
    RevisitFactory(
        customer=CustomerFactory(department=org.dept_b),
        assignee=org.relations_specialist_b,
        due_at=now,
    )
    client = as_user(org.relations_specialist_a)
    with django_assert_max_num_queries(12):
        response = client.get("/admin/crm/revisit/", {"due": "mine_today"})
    assert list(response.context["cl"].result_list) == [mine]
    response = client.get("/admin/crm/revisit/")
    assert len(response.context["cl"].result_list) == 2  # department B's is hidden


def test_revisit_actions_call_the_services(org, as_user):
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
    )
    done = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a), status="done"
    )
    client = as_user(org.relations_specialist_a)
    response = client.post(
        "/admin/crm/revisit/",
        {"action": "complete_not_reached", "_selected_action": [revisit.pk, done.pk]},
        follow=True,
    )
    revisit.refresh_from_db()
    assert revisit.status == "done" and revisit.outcome == "not_reached"
    assert revisit.done_by == org.relations_specialist_a
    messages = [str(m) for m in response.context["messages"]]
    assert any("1" in m for m in messages), messages


def test_completing_a_revisit_on_its_page(org, as_user):
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
    )
    client = as_user(org.relations_specialist_a)
    url = f"/admin/crm/revisit/{revisit.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "method": revisit.method,
            "due_at_0": timezone.localtime(revisit.due_at).strftime("%Y-%m-%d"),
            "due_at_1": timezone.localtime(revisit.due_at).strftime("%H:%M:%S"),
            "assignee": org.relations_specialist_a.pk,
            "outcome": "reached",
            "satisfaction_score": "5",
            "feedback": "非常满意",
            "notes": "",
        },
    )
    assert response.status_code == 302
    revisit.refresh_from_db()
    assert revisit.status == "done" and revisit.satisfaction_score == 5


def test_notification_inbox_shows_only_my_own_and_marks_read(org, as_user):
    mine, _ = notify(recipient=org.agent_a, kind="k", title="我的提醒", key="n:1")
    notify(recipient=org.agent_b, kind="k", title="别人的提醒", key="n:2")
    notify(recipient=org.admin, kind="k", title="管理员的提醒", key="n:3")
    client = as_user(org.agent_a)
    response = client.get("/admin/crm/notification/")
    assert list(response.context["cl"].result_list) == [mine]
    client.post(
        "/admin/crm/notification/",
        {"action": "mark_read", "_selected_action": [mine.pk]},
    )
    mine.refresh_from_db()
    assert mine.read_at is not None
    # The admin's inbox is also just theirs.
    response = as_user(org.admin).get("/admin/crm/notification/")
    assert [n.title for n in response.context["cl"].result_list] == ["管理员的提醒"]
    assert Notification.objects.count() == 3


def test_crm_screens_are_chinese(org, as_user):
    RevisitFactory(customer=CustomerFactory(department=org.dept_a))
    html = as_user(org.manager_a).get("/admin/crm/revisit/").content.decode()
    assert "回访" in html and "我今天到期的回访" in html and "待回访" in html
    html = as_user(org.manager_a).get("/admin/").content.decode()
    assert "个人信息权利请求" in html and "联络记录" in html


def test_a_problem_found_on_the_revisit_page_becomes_a_complaint(org, as_user):
    from complaints.models import Category

    customer = CustomerFactory(department=org.dept_a, owner=org.account_manager_a)
    revisit = RevisitFactory(customer=customer, assignee=org.account_manager_a)
    client = as_user(org.account_manager_a)
    url = f"/admin/crm/revisit/{revisit.pk}/change/"
    response = client.post(
        url,
        {
            "method": revisit.method,
            "due_at_0": timezone.localtime(revisit.due_at).strftime("%Y-%m-%d"),
            "due_at_1": timezone.localtime(revisit.due_at).strftime("%H:%M:%S"),
            "assignee": org.account_manager_a.pk,
            "outcome": "reached",
            "satisfaction_score": "2",
            "feedback": "派送员态度恶劣",
            "follow_up_category": Category.objects.get(code="attitude").pk,
            "follow_up_subject": "回访发现：派送员态度恶劣",
            "notes": "",
        },
    )
    assert response.status_code == 302
    revisit.refresh_from_db()
    assert revisit.status == "done"
    assert revisit.follow_up_complaint.subject == "回访发现：派送员态度恶劣"
    # The done revisit's page shows the link and no "problem found" fields.
    html = client.get(url).content.decode()
    assert (
        revisit.follow_up_complaint.reference in html
        or str(revisit.follow_up_complaint) in html
    )
    assert 'name="follow_up_subject"' not in html


def test_beat_runs_the_crm_sweepers_every_minute():
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    for name in ("crm.revisit_sweep", "crm.deliver_notification_emails"):
        assert schedule[name]["task"] == name and schedule[name]["schedule"] == 60.0
        assert name in app.tasks
    assert "crm.revisit_plan_by_rules" in app.tasks


@pytest.mark.parametrize(
    "url",
    [
        "/admin/crm/interaction/",
        "/admin/crm/notification/",
        "/admin/crm/privacyrequest/",
        "/admin/crm/personaldataaccess/",
        "/admin/crm/contact/",
    ],
)
def test_other_crm_lists_do_not_grow_in_queries(
    org, as_user, url, django_assert_max_num_queries
):
    from crm.services import personal_data_access_log, privacy_request_create
    from tests.factories.crm import ContactFactory, InteractionFactory

    def make(n):
        for i in range(n):
            customer = CustomerFactory(department=org.dept_a)
            InteractionFactory(customer=customer, staff=org.agent_a)
            ContactFactory(customer=customer)
            notify(
                recipient=org.manager_a,
                kind="k",
                title=f"t{i}",
                key=f"{url}:{customer.pk}",
            )
            privacy_request_create(
                actor=org.manager_a, customer=customer, kind="export", requested_by="x"
            )
            personal_data_access_log(
                actor=org.agent_a, customer=customer, action="view"
            )

    make(2)
    client = as_user(org.manager_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    make(15)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 17


def test_customer_page_queries_do_not_grow_with_history(
    org, as_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.crm import ContactFactory, InteractionFactory

    customer = CustomerFactory(department=org.dept_a)
    client = as_user(org.manager_a)
    url = f"/admin/crm/customer/{customer.pk}/change/"
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    for _ in range(10):
        InteractionFactory(customer=customer)
        RevisitFactory(customer=customer)
        ContactFactory(customer=customer)
        make_complaint(actor=org.agent_a, customer=customer)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after.captured_queries) <= len(ctx.captured_queries), [
        q["sql"][:90] for q in after.captured_queries
    ]


def test_revisit_page_shows_the_phone_per_role_and_the_history(org, as_user):
    # Given a customer with a phone and an earlier complaint, and a planned revisit
    from crm.models import PersonalDataAccess

    customer = CustomerFactory(
        department=org.dept_a, phone="+8613912345678", name="王小明"
    )
    earlier = make_complaint(actor=org.supervisor_a, customer=customer)
    revisit = RevisitFactory(customer=customer, assignee=org.relations_specialist_a)
    url = f"/admin/crm/revisit/{revisit.pk}/change/"
    # The relations specialist sees the number in full (logged) and the history
    html = as_user(org.relations_specialist_a).get(url).content.decode()
    assert "13912345678" in html
    assert earlier.reference in html
    assert PersonalDataAccess.objects.filter(
        actor=org.relations_specialist_a, customer=customer
    ).exists()
    # History times are local, in one format (no raw UTC)
    local = timezone.localtime(earlier.received_at).strftime("%Y-%m-%d %H:%M")
    assert local in html and "+00:00" not in html
    # The title names the customer, neither an id nor the revisit's key
    assert f"· {customer.pk} ·" not in html
    assert "王小明" in str(Revisit.objects.select_related("customer").get())


def test_notification_kinds_are_shown_by_their_label(org, as_user):
    notify(
        recipient=org.agent_a,
        kind="complaint_assigned",
        title="投诉 TS1 已分派给您",
        key="n:kind",
    )
    html = as_user(org.agent_a).get("/admin/crm/notification/").content.decode()
    assert "投诉分派" in html
    assert ">complaint_assigned<" not in html


def test_admin_view_site_link_opens_the_home_not_a_404(org, as_user):
    client = as_user(org.agent_a)
    html = client.get("/admin/").content.decode()
    assert 'href="/"' in html  # "view site" and "my desk": the home (kpi.home)
    home = client.get("/")
    assert home.status_code == 200 and "我的工作台" in home.content.decode()


def test_customer_tags_are_words_not_json(org, as_user):
    customer = CustomerFactory(department=org.dept_a, tags=["VIP", "大客户"])
    html = (
        as_user(org.qa_inspector_a)
        .get(f"/admin/crm/customer/{customer.pk}/change/")
        .content.decode()
    )
    assert "VIP, 大客户" in html and '["VIP"' not in html
