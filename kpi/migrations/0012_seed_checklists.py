"""Checklists become data (issue 16, 质检).

Creates the call checklist v1 from the six items scored in code until now
(0–10 each, equal weights: the total stays their sum scaled to 100), points
every existing inspection to it and copies its six scores into item score
rows; seeds the online-chat and on-site checklists from the seeds' wording
(服务语言与表达规范; 服务环境与形象管理: 服装整洁度 ≥ 95 %, 形象达标率 ≥ 90 %,
环境达标率 ≥ 85 %). There was no pass mark before: the call items pass at
60 % (6 of 10), and each old inspection's item and overall result is derived
from its stored scores (no coaching or notification is raised for them).
"""

from decimal import Decimal

from django.db import migrations

LEGACY = (
    ("polite_language", "礼貌用语"),
    ("clarity", "表达清晰"),
    ("tone", "语气语调"),
    ("listening", "倾听"),
    ("accuracy", "信息准确"),
    ("compliance", "合规"),
)

CHECKLISTS = [
    {
        "code": "call",
        "kind": "call",
        "name": "热线电话质检评分表",
        "pass_mark": Decimal(60),
        "items": [(code, label, 1, 10, 60) for code, label in LEGACY],
    },
    {
        "code": "chat",
        "kind": "chat",
        "name": "在线客服质检评分表",
        "pass_mark": Decimal(60),
        "items": [
            ("polite_language", "服务用语与礼貌用语", 1, 10, 60),
            ("clarity", "表达清晰与准确", 1, 10, 60),
            ("tone", "语气与态度", 1, 10, 60),
            ("response", "响应及时", 1, 10, 60),
            ("solution", "问题解决与反馈确认", 1, 10, 60),
            ("privacy", "客户隐私与数据安全", 1, 10, 60),
        ],
    },
    {
        "code": "onsite",
        "kind": "onsite",
        "name": "服务现场形象与环境检查表",
        "pass_mark": Decimal(0),
        "items": [
            ("attire", "服装整洁度", 1, 100, 95),
            ("appearance", "服务人员形象（三净一亮）", 1, 100, 90),
            ("environment", "服务现场环境", 1, 100, 85),
            ("conduct", "仪态与行为规范", 1, 100, 90),
        ],
    },
]


def seed_checklists(apps, schema_editor):
    Checklist = apps.get_model("kpi", "Checklist")
    ChecklistItem = apps.get_model("kpi", "ChecklistItem")
    QualityInspection = apps.get_model("kpi", "QualityInspection")
    InspectionScore = apps.get_model("kpi", "InspectionScore")
    made = {}
    for spec in CHECKLISTS:
        checklist, created = Checklist.objects.get_or_create(
            code=spec["code"],
            version=1,
            defaults={
                "kind": spec["kind"],
                "name": spec["name"],
                "pass_mark": spec["pass_mark"],
                "is_active": True,
            },
        )
        if created:
            for position, (code, label, weight, max_score, mark) in enumerate(
                spec["items"], start=1
            ):
                ChecklistItem.objects.create(
                    checklist=checklist,
                    code=code,
                    label=label,
                    position=position,
                    weight=weight,
                    max_score=max_score,
                    pass_mark=mark,
                )
        made[spec["code"]] = checklist
    call = made["call"]
    items = {item.code: item for item in ChecklistItem.objects.filter(checklist=call)}
    inspections = QualityInspection.objects.filter(checklist__isnull=True)
    batch = []
    for inspection in inspections.iterator(chunk_size=2000):
        passed = True
        for code, _label in LEGACY:
            value = getattr(inspection, code) or 0
            ok = value * 100 >= items[code].pass_mark * items[code].max_score
            passed = passed and ok
            batch.append(
                InspectionScore(
                    inspection_id=inspection.pk,
                    item_id=items[code].pk,
                    score=value,
                    passed=ok,
                )
            )
        passed = passed and inspection.total >= call.pass_mark
        QualityInspection.objects.filter(pk=inspection.pk).update(
            checklist=call, passed=passed
        )
        if len(batch) >= 6000:
            InspectionScore.objects.bulk_create(batch)
            batch = []
    InspectionScore.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("kpi", "0011_checklists_and_sampling")]

    operations = [migrations.RunPython(seed_checklists, migrations.RunPython.noop)]
