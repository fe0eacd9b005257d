"""Quality-inspection checklists (质检评分表, issue 16): the seeded checklists,
the call checklist v1 keeping the six items' total, versioning (an edit of a
used version saves the next one; old inspections keep theirs), on-site
inspections with the seeds' pass marks, and the follow-up of a result below
a pass mark (coaching and the supervisor told, once)."""

from decimal import Decimal

import pytest

from config.errors import InvalidInput, NotPermitted
from crm.models import Notification
from kpi.models import Checklist, InspectionScore, QualityInspection
from kpi.services import inspections as inspection_services
from kpi.services.checklists import checklist_active, checklist_save
from kpi.services.inspections import inspection_record
from tests.factories.kpi import interaction, local
from tests.factories.training import CourseFactory
from training.models import TrainingAssignment

pytestmark = pytest.mark.django_db


def _items(checklist):
    return [
        (i.code, i.label, i.weight, i.max_score, i.pass_mark)
        for i in checklist.items.order_by("position")
    ]


def _as_dicts(checklist):
    return [
        {
            "code": i.code,
            "label": i.label,
            "weight": i.weight,
            "max_score": i.max_score,
            "pass_mark": i.pass_mark,
        }
        for i in checklist.items.order_by("position")
    ]


def _call(org, *, at=(2026, 11, 3), **scores):
    values = dict.fromkeys(QualityInspection.CHECKLIST, 9)
    values.update(scores)
    return inspection_record(
        actor=org.qa_inspector_a,
        interaction=interaction(staff=org.agent_a, at=local(*at)),
        scores=values,
        inspected_at=local(*at),
    )


def test_the_migration_seeds_three_checklists_from_the_standard():
    call = checklist_active(code="call")
    assert (call.kind, call.version, call.pass_mark) == ("call", 1, Decimal("60.00"))
    assert [row[:2] for row in _items(call)] == [
        ("polite_language", "礼貌用语"),
        ("clarity", "表达清晰"),
        ("tone", "语气语调"),
        ("listening", "倾听"),
        ("accuracy", "信息准确"),
        ("compliance", "合规"),
    ]
    assert {row[2:] for row in _items(call)} == {(Decimal("1.00"), 10, Decimal(60))}
    assert checklist_active(kind="chat").code == "chat"
    assert len(_items(checklist_active(kind="chat"))) == 6
    onsite = checklist_active(kind="onsite")
    assert [(c, label, m, p) for c, label, _w, m, p in _items(onsite)] == [
        ("attire", "服装整洁度", 100, Decimal("95.00")),
        ("appearance", "服务人员形象（三净一亮）", 100, Decimal("90.00")),
        ("environment", "服务现场环境", 100, Decimal("85.00")),
        ("conduct", "仪态与行为规范", 100, Decimal("90.00")),
    ]


def test_call_v1_keeps_the_sum_scaled_to_100_and_stores_item_scores(org):
    inspection = _call(org, tone=7, accuracy=10)
    # 9+9+7+9+10+9 = 53 of 60
    assert inspection.total == Decimal("88.33")
    assert inspection.passed is True
    assert inspection.checklist == checklist_active(code="call")
    rows = list(
        InspectionScore.objects.filter(inspection=inspection)
        .order_by("item__position")
        .values_list("item__code", "score", "passed")
    )
    assert rows[2] == ("tone", Decimal("7.00"), True)
    assert len(rows) == 6


def test_an_item_below_its_pass_mark_fails_the_inspection(org):
    inspection = _call(org, listening=5)  # 5/10 < 60 %; 50 of 60 in total
    assert (inspection.total, inspection.passed) == (Decimal("83.33"), False)
    assert list(
        inspection.scores.filter(passed=False).values_list("item__code", flat=True)
    ) == ["listening"]


def test_scores_are_checked_against_the_items(org):
    with pytest.raises(InvalidInput) as missing:
        inspection_record(
            actor=org.qa_inspector_a,
            interaction=interaction(staff=org.agent_a, at=local(2026, 11, 3)),
            scores={"tone": 9},
        )
    assert missing.value.field == "polite_language"
    with pytest.raises(InvalidInput) as too_high:
        _call(org, tone=11)
    assert too_high.value.field == "tone"
    assert not QualityInspection.objects.exists()


def test_editing_a_used_checklist_saves_the_next_version(org):
    # Given an inspection on the call checklist v1
    v1 = checklist_active(code="call")
    old = _call(org, tone=7)
    old_item_ids = set(old.scores.values_list("item_id", flat=True))
    # When a manager raises the tone item's pass mark to 80 %
    items = _as_dicts(v1)
    items[2]["pass_mark"] = 80
    v2 = checklist_save(
        actor=org.manager_a,
        checklist=v1,
        code="call",
        kind="call",
        name=v1.name,
        pass_mark=60,
        items=items,
    )
    # Then a version 2 is active and version 1 is kept for the old inspection
    v1.refresh_from_db()
    assert (v2.code, v2.version, v2.is_active) == ("call", 2, True)
    assert (v1.version, v1.is_active) == (1, False)
    assert v2.pk != v1.pk
    old.refresh_from_db()
    assert old.checklist_id == v1.pk and old.passed is True
    assert set(old.scores.values_list("item_id", flat=True)) == old_item_ids
    assert [i[4] for i in _items(v1)] == [Decimal(60)] * 6
    # And new inspections are scored on version 2 (tone 7 now fails)
    new = _call(org, tone=7)
    assert new.checklist_id == v2.pk and new.passed is False
    assert not new.scores.filter(item__checklist=v1).exists()


def test_editing_an_unused_version_changes_it_in_place(org):
    v1 = checklist_active(code="call")
    items = _as_dicts(v1)
    items[0]["label"] = "礼貌用语与问候语"
    saved = checklist_save(
        actor=org.manager_a,
        checklist=v1,
        code="call",
        kind="call",
        name="热线电话质检评分表",
        pass_mark=60,
        items=items,
    )
    assert (saved.pk, saved.version) == (v1.pk, 1)
    assert Checklist.objects.filter(code="call").count() == 1
    assert _items(saved)[0][1] == "礼貌用语与问候语"


def test_saving_a_used_version_unchanged_makes_no_version(org):
    v1 = checklist_active(code="call")
    _call(org)
    saved = checklist_save(
        actor=org.manager_a,
        checklist=v1,
        code="call",
        kind="call",
        name=v1.name,
        pass_mark=v1.pass_mark,
        items=_as_dicts(v1),
    )
    assert saved.pk == v1.pk
    assert Checklist.objects.filter(code="call").count() == 1


def test_only_those_who_may_edit_checklists_do(org):
    v1 = checklist_active(code="call")
    with pytest.raises(NotPermitted):
        checklist_save(
            actor=org.qa_inspector_a,
            checklist=v1,
            code="call",
            kind="call",
            name="x",
            pass_mark=0,
            items=_as_dicts(v1),
        )
    with pytest.raises(InvalidInput) as reserved:
        checklist_save(
            actor=org.manager_a,
            checklist=None,
            code="new",
            kind="call",
            name="新表",
            pass_mark=0,
            items=[{"code": "staff", "label": "员工"}],
        )
    assert reserved.value.field == "code"
    # nor the inspection's own read-only fields (the score input would be hidden)
    for code in ("total", "passed"):
        with pytest.raises(InvalidInput):
            checklist_save(
                actor=org.manager_a,
                checklist=None,
                code="new",
                kind="call",
                name="新表",
                pass_mark=0,
                items=[{"code": code, "label": "总分"}],
            )
    assert Checklist.objects.count() == 3


def test_an_onsite_inspection_needs_no_record_and_uses_the_seed_pass_marks(org):
    onsite = checklist_active(kind="onsite")
    inspection = inspection_record(
        actor=org.qa_inspector_a,
        checklist=onsite,
        staff=org.agent_a,
        scores={"attire": 94, "appearance": 90, "environment": 85, "conduct": 100},
        inspected_at=local(2026, 11, 5),
    )
    assert inspection.complaint_id is None and inspection.interaction_id is None
    assert inspection.total == Decimal("92.25")
    assert inspection.passed is False  # 服装整洁度 94 % < 95 %
    assert list(
        inspection.scores.filter(passed=False).values_list("item__label", flat=True)
    ) == ["服装整洁度"]


def test_a_call_inspection_still_needs_the_record(org):
    with pytest.raises(InvalidInput) as refused:
        inspection_record(
            actor=org.qa_inspector_a,
            staff=org.agent_a,
            scores=dict.fromkeys(QualityInspection.CHECKLIST, 9),
        )
    assert refused.value.field == "complaint"


def test_a_failed_inspection_coaches_and_tells_the_supervisor_once(org):
    CourseFactory(code="svc-skills", title="服务技巧", topic="service_skills")
    failed = _call(org, listening=4)
    coaching = TrainingAssignment.objects.get(reason="coaching")
    assert (coaching.staff, coaching.key) == (
        org.agent_a,
        f"coaching:inspection:{failed.pk}",
    )
    assert "倾听" in coaching.note
    told = Notification.objects.get(kind="qa_failed")
    assert told.recipient == org.supervisor_a
    assert told.key == f"qa:failed:{failed.pk}"
    assert "倾听" in told.body
    # The follow-up run again (a retry) adds nothing
    inspection_services._follow_up_failed(failed, ["倾听"])
    assert TrainingAssignment.objects.filter(reason="coaching").count() == 1
    assert Notification.objects.filter(kind="qa_failed").count() == 1


def test_a_passed_inspection_coaches_nobody(org):
    CourseFactory(code="svc-skills", title="服务技巧", topic="service_skills")
    _call(org)
    assert not TrainingAssignment.objects.filter(reason="coaching").exists()
    assert not Notification.objects.filter(kind="qa_failed").exists()


def test_a_maximum_score_of_zero_is_refused_and_none_means_a_percentage(org):
    def save(code, item):
        return checklist_save(
            actor=org.manager_a,
            checklist=None,
            code=code,
            kind="call",
            name="新表",
            pass_mark=0,
            items=[{"code": "greeting", "label": "问候", **item}],
        )

    with pytest.raises(InvalidInput) as zero:
        save("zero", {"max_score": 0})
    assert zero.value.field == "max_score"
    assert not Checklist.objects.filter(code="zero").exists()
    made = save("plain", {})
    assert made.items.get().max_score == 100
