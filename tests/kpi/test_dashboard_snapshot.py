"""The dashboard's complaint mix and SLA breaches come from the period's snapshot
(kpi.DashboardSnapshot, written with the results): the same figures as the live
computation they replace, and no aggregate over complaints or SLA clocks when the
page is opened."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.services.clock import at
from kpi import selectors
from kpi.models import DashboardSnapshot, SubjectType
from kpi.selectors import Scope
from kpi.services import kpi_compute_period
from tests.factories.complaints import make_complaint
from tests.factories.kpi import (  # noqa: F401 - complaint_links is a fixture
    complaint_links,
    complaint_story,
    local,
    month,
    policy_24x7,
)

NOW = local(2026, 12, 5, 9, 0)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("complaint_links")]


@pytest.fixture
def november(org):
    policy_24x7()
    for agent, day, category in (
        (org.agent_a, 2, "service_quality"),
        (org.agent_a, 3, "attitude"),
        (org.complaint_handler_a, 4, "service_quality"),
        (org.agent_b, 5, "process"),
    ):
        complaint_story(
            agent=agent,
            lead=org.supervisor_a
            if agent.team_id == org.team_a.pk
            else org.supervisor_b,
            received=local(2026, 11, day, 10),
            respond=local(2026, 11, day, 10, 20)
            if day == 2
            else local(2026, 11, day, 11),
            category=category,
        )
    for channel in ("phone", "email"):
        received = local(2026, 11, 20, 15)
        with at(received):
            make_complaint(actor=org.agent_a, channel=channel, received_at=received)
    # received in December: in no November figure
    with at(local(2026, 12, 1, 9)):
        make_complaint(
            actor=org.agent_a, channel="phone", received_at=local(2026, 12, 1, 9)
        )
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    return period


def _live(user, scope, period):
    """The live queries the dashboard ran before the snapshot."""
    window = selectors.window_for(period, selectors.as_of(period))
    categories, channels = selectors.complaint_mix(user, scope, window)
    by_kind, latest = selectors.sla_breaches(user, scope, window)
    return categories, channels, by_kind, latest


def test_snapshot_figures_equal_the_live_computation(org, november):
    period = november
    for user, scope in (
        (org.manager_a, Scope(SubjectType.DEPARTMENT, org.dept_a.pk, "")),
        (org.manager_a, Scope(SubjectType.TEAM, org.team_a.pk, "")),
        (org.manager_b, Scope(SubjectType.DEPARTMENT, org.dept_b.pk, "")),
    ):
        categories, channels, by_kind, latest = _live(user, scope, period)
        figures = selectors.dashboard_figures(period, scope)
        assert sorted(figures.categories) == sorted(categories), scope
        assert sorted(figures.channels) == sorted(channels), scope
        assert sorted(figures.breaches_by_kind) == sorted(by_kind), scope
        assert figures.breach_total == sum(n for _l, n in by_kind)
        # the same breaches (the live list left ties of due time unordered;
        # the snapshot breaks them by id)
        assert sorted(
            (b["reference"], b["due_at"]) for b in figures.breaches
        ) == sorted((t.complaint.reference, t.due_at) for t in latest), scope


def test_snapshot_holds_exact_figures_per_scope(org, november):
    figures = selectors.dashboard_figures(
        november, Scope(SubjectType.DEPARTMENT, org.dept_a.pk, "")
    )
    # three letters from the stories, a phone call and an e-mail on the 20th
    assert dict(figures.channels) == {"信函": 3, "电话": 1, "电子邮箱": 1}
    assert sum(n for _l, n in figures.categories) == 5
    assert figures.breach_total == sum(n for _l, n in figures.breaches_by_kind) > 0
    # latest first, each row links to its complaint
    dues = [b["due_at"] for b in figures.breaches]
    assert dues == sorted(dues, reverse=True)
    assert all(b["complaint_id"] and b["reference"] for b in figures.breaches)
    # department B's complaint is in B's snapshot only
    other = selectors.dashboard_figures(
        november, Scope(SubjectType.DEPARTMENT, org.dept_b.pk, "")
    )
    assert sum(n for _l, n in other.categories) == 1
    assert not {b["reference"] for b in other.breaches} & {
        b["reference"] for b in figures.breaches
    }


def test_recomputing_replaces_the_snapshot(org, november):
    assert DashboardSnapshot.objects.filter(period=november).count() == (
        org.dept_a.__class__.objects.count() + org.team_a.__class__.objects.count()
    )
    kpi_compute_period(actor=None, period=november, now=NOW)
    assert DashboardSnapshot.objects.filter(period=november).count() == (
        org.dept_a.__class__.objects.count() + org.team_a.__class__.objects.count()
    )


def test_the_page_runs_no_aggregate_over_complaints_or_sla_clocks(
    client, org, november
):
    client.force_login(org.manager_a)
    client.get("/kpi/?period=2026-11")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/kpi/?period=2026-11").content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "complaints_slatarget" not in sql
    assert "complaints_complaint" not in sql
    figures = selectors.dashboard_figures(
        november, Scope(SubjectType.DEPARTMENT, org.dept_a.pk, "")
    )
    assert f"SLA 超时 ({figures.breach_total})" in html
    for breach in figures.breaches:
        assert f"/admin/complaints/complaint/{breach['complaint_id']}/change/" in html
        assert breach["reference"] in html


def test_a_scope_created_after_the_computation_shows_empty_figures(org, november):
    from tests.factories.crm import TeamFactory

    team = TeamFactory(department=org.dept_a)
    figures = selectors.dashboard_figures(
        november, Scope(SubjectType.TEAM, team.pk, "")
    )
    assert (figures.categories, figures.breach_total, figures.breaches) == ([], 0, [])


def test_pareto_and_heat_map_link_to_the_complaints_behind_each_point(client, org):
    from complaints.models import Complaint

    policy_24x7()
    made = []
    for day, channel, cause in (
        (2, "phone", "staff_error"),
        (3, "phone", "staff_error"),
        (4, "email", "staff_error"),
        (5, "phone", "process"),
        (6, "email", ""),
    ):
        received = local(2026, 11, day, 10)
        with at(received):
            made.append(
                make_complaint(actor=org.agent_a, channel=channel, received_at=received)
            )
        Complaint.objects.filter(pk=made[-1].pk).update(cause_type=cause)
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)
    scope = Scope(SubjectType.DEPARTMENT, org.dept_a.pk, "")
    figures = selectors.dashboard_figures(period, scope)

    assert [(p["label"], p["count"], p["cumulative"]) for p in figures.pareto] == [
        ("员工失误", 3, 75.0),
        ("流程问题", 1, 100.0),
    ]
    heat = figures.heatmap
    assert heat["channels"] == ["电子邮箱", "电话"]
    assert len(heat["categories"]) == 1
    assert sorted((c["x"], c["y"], c["count"]) for c in heat["cells"]) == [
        (0, 0, 2),
        (1, 0, 3),
    ]

    client.force_login(org.manager_a)
    html = client.get("/kpi/?period=2026-11").content.decode()
    assert 'id="pareto-data"' in html and 'id="heatmap-data"' in html
    assert "/static/kpi/vendor/echarts-5.6.0/echarts.min.js" in html

    def listed(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return {c.reference for c in made if c.reference in response.content.decode()}

    by_ref = {c.pk: c.reference for c in made}
    assert listed(figures.pareto[0]["url"]) == {by_ref[made[i].pk] for i in (0, 1, 2)}
    assert listed(figures.pareto[1]["url"]) == {made[3].reference}
    phone = next(c for c in heat["cells"] if c["x"] == 1)
    assert listed(phone["url"]) == {made[i].reference for i in (0, 1, 3)}


def test_rejected_complaints_are_in_no_mix_like_in_no_indicator(client, org):
    """One definition of the complaints counted (complaints_received_between):
    the snapshot's mix, causes and heat map, the pack's complaint mix and the
    links behind each point all leave rejected complaints out."""
    import io

    from openpyxl import load_workbook

    from complaints.models import Complaint

    # Given three phone complaints of November with a staff-error cause, one
    # of them rejected (a duplicate)
    policy_24x7()
    made = []
    for day in (2, 3, 4):
        received = local(2026, 11, day, 10)
        with at(received):
            made.append(
                make_complaint(actor=org.agent_a, channel="phone", received_at=received)
            )
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(
        cause_type="staff_error"
    )
    Complaint.objects.filter(pk=made[0].pk).update(status=Complaint.Status.REJECTED)

    # When November is computed
    period = month(2026, 11)
    kpi_compute_period(actor=None, period=period, now=NOW)

    # Then every complaint figure counts two
    scope = Scope(SubjectType.DEPARTMENT, org.dept_a.pk, "")
    figures = selectors.dashboard_figures(period, scope)
    assert sum(n for _l, n in figures.categories) == 2
    assert dict(figures.channels) == {"电话": 2}
    assert [(p["label"], p["count"]) for p in figures.pareto] == [("员工失误", 2)]
    assert [c["count"] for c in figures.heatmap["cells"]] == [2]
    window = selectors.window_for(period, selectors.as_of(period))
    categories, channels = selectors.complaint_mix(org.manager_a, scope, window)
    assert (sorted(figures.categories), channels) == (sorted(categories), [("电话", 2)])

    client.force_login(org.manager_a)
    pack = load_workbook(
        io.BytesIO(
            client.get(
                f"/kpi/report/?period=2026-11&scope=department:{org.dept_a.pk}"
            ).content
        )
    )
    mix = list(pack["投诉构成"].iter_rows(values_only=True))
    assert ("电话", 2) in mix
    assert sum(row[1] for row in mix[1:] if row and row[1] and row[0] != "渠道") == 4

    # And the point's link lists the two counted, not the rejected one
    html = client.get(figures.heatmap["cells"][0]["url"]).content.decode()
    assert made[1].reference in html and made[2].reference in html
    assert made[0].reference not in html


FIELDS = (
    "categories",
    "channels",
    "cause_types",
    "category_channel",
    "breaches_by_kind",
    "breach_total",
    "latest_breaches",
    "qa_items",
)


def _stored(period) -> dict:
    return {
        (row.subject_type, row.subject_id): {f: getattr(row, f) for f in FIELDS}
        for row in DashboardSnapshot.objects.filter(period=period)
    }


def _read_alone(period) -> dict:
    """The snapshot rows as the dashboard reads them without the compute's
    folded pass (one grouped query per source of its own)."""
    from kpi.services.compute import window_for
    from kpi.services.dashboard import dashboard_snapshots

    return {
        (row.subject_type, row.subject_id): {f: getattr(row, f) for f in FIELDS}
        for row in dashboard_snapshots(period, window_for(period, NOW))
    }


def test_the_folded_pass_gives_what_the_dashboard_reads_alone(org, november):
    stored = _stored(november)
    assert stored == _read_alone(november)
    assert any(row["breach_total"] for row in stored.values())
    assert any(row["categories"] for row in stored.values())


def test_months_computed_together_fold_per_month(org, november):
    """The nightly shape: several months in one bucketed pass per source."""
    from kpi.services.compute import kpi_compute_periods

    october, december = month(2026, 10), month(2026, 12)
    kpi_compute_periods(periods=[october, november, december], now=NOW)
    for period in (october, november, december):
        assert _stored(period) == _read_alone(period), period.key
    assert any(row["categories"] for row in _stored(december).values())


def test_the_mix_is_kept_when_its_indicators_are_inactive(org, november):
    from kpi.measures import MEASURES
    from kpi.models import Indicator

    folded_sources = {"complaints_received", "sla_targets_due"}
    codes = [m.code for m in MEASURES.values() if m.source.code in folded_sources]
    before = _stored(november)
    Indicator.objects.filter(code__in=codes).update(is_active=False)
    kpi_compute_period(actor=None, period=november, now=NOW)
    assert _stored(november) == before
