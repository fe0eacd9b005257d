"""Default complaint taxonomy, SLA policies and the China working calendar.

All of it is ordinary data that managers edit in the admin afterwards. The
calendar holds China's public holidays and adjusted working days (调休) for
2025–2027 as published by the State Council General Office; 2027's arrangement
was not yet published when this was written and is marked 暂定 (provisional):
check it against the official notice and edit it in the admin.
"""

from datetime import date, timedelta

from django.db import migrations

CATEGORIES = [
    # code, name, sort_order, subcategories [(code, name)]
    (
        "service_quality",
        "服务质量",
        10,
        [
            ("lost", "快件丢失"),
            ("damaged", "快件破损"),
            ("late", "派送延误"),
            ("stolen", "快件被盗/内件短少"),
            ("wrong_address", "错派/地址错误"),
        ],
    ),
    ("attitude", "服务态度", 20, [("rude_courier", "快递员态度恶劣")]),
    (
        "process",
        "服务流程",
        30,
        [
            ("refused_door_delivery", "拒绝送货上门"),
            ("refund_slow", "退款/理赔缓慢"),
        ],
    ),
    ("product", "服务产品", 40, [("goods_defect", "商品质量问题")]),
    ("other", "其他", 50, []),
]

WORKING_HOURS = [["09:00", "12:00"], ["13:30", "18:00"]]


def _span(start: date, days: int):
    return [start + timedelta(days=i) for i in range(days)]


# (name, [holiday dates], [adjusted working dates])
HOLIDAYS = [
    # 2025 (国办发明电〔2024〕12号)
    ("元旦", [date(2025, 1, 1)], []),
    ("春节", _span(date(2025, 1, 28), 8), [date(2025, 1, 26), date(2025, 2, 8)]),
    ("清明节", _span(date(2025, 4, 4), 3), []),
    ("劳动节", _span(date(2025, 5, 1), 5), [date(2025, 4, 27)]),
    ("端午节", _span(date(2025, 5, 31), 3), []),
    (
        "国庆节、中秋节",
        _span(date(2025, 10, 1), 8),
        [date(2025, 9, 28), date(2025, 10, 11)],
    ),
    # 2026 (国办发明电〔2025〕7号)
    ("元旦", _span(date(2026, 1, 1), 3), [date(2026, 1, 4)]),
    ("春节", _span(date(2026, 2, 15), 9), [date(2026, 2, 14), date(2026, 2, 28)]),
    ("清明节", _span(date(2026, 4, 4), 3), []),
    ("劳动节", _span(date(2026, 5, 1), 5), [date(2026, 5, 9)]),
    ("端午节", _span(date(2026, 6, 19), 3), []),
    ("中秋节", _span(date(2026, 9, 25), 3), []),
    ("国庆节", _span(date(2026, 10, 1), 7), [date(2026, 9, 20), date(2026, 10, 10)]),
    # 2027 (暂定: provisional until the official notice is published)
    ("元旦（暂定）", _span(date(2027, 1, 1), 3), []),
    (
        "春节（暂定）",
        _span(date(2027, 2, 5), 9),
        [date(2027, 1, 31), date(2027, 2, 20)],
    ),
    ("清明节（暂定）", _span(date(2027, 4, 3), 3), []),
    (
        "劳动节（暂定）",
        _span(date(2027, 5, 1), 5),
        [date(2027, 4, 25), date(2027, 5, 8)],
    ),
    ("端午节（暂定）", [date(2027, 6, 9)], []),
    ("中秋节（暂定）", [date(2027, 9, 15)], []),
    (
        "国庆节（暂定）",
        _span(date(2027, 10, 1), 7),
        [date(2027, 9, 26), date(2027, 10, 9)],
    ),
]

H = 60
# code, name, severity, 24x7, first response, analysis, reply, resolution, confirmation
POLICIES = [
    ("urgent", "紧急投诉（7×24）", "urgent", True, 10, 2 * H, 4 * H, 24 * H, 24 * H),
    ("high", "重要投诉", "high", False, 30, 2 * H, 24 * H, 48 * H, 24 * H),
    ("standard", "一般投诉", "", False, 30, 2 * H, 48 * H, 72 * H, 24 * H),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    BusinessCalendar = apps.get_model("complaints", "BusinessCalendar")
    CalendarDay = apps.get_model("complaints", "CalendarDay")
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")

    for code, name, order, subs in CATEGORIES:
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
        for i, (sub_code, sub_name) in enumerate(subs, start=1):
            Category.objects.get_or_create(
                code=sub_code,
                defaults={"name": sub_name, "parent": parent, "sort_order": i * 10},
            )

    calendar, _ = BusinessCalendar.objects.get_or_create(
        code="cn-standard",
        defaults={
            "name": "中国标准工作日历",
            "timezone": "Asia/Shanghai",
            "week_hours": {str(d): WORKING_HOURS for d in range(5)},
            "workday_hours": WORKING_HOURS,
            "is_default": True,
        },
    )
    rows = []
    for name, holidays, workdays in HOLIDAYS:
        rows += [
            CalendarDay(calendar=calendar, date=d, kind="holiday", name=name)
            for d in holidays
        ]
        rows += [
            CalendarDay(calendar=calendar, date=d, kind="workday", name=f"{name}调休")
            for d in workdays
        ]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)

    for i, (code, name, severity, is_24x7, fr, an, rp, rs, cf) in enumerate(POLICIES):
        SlaPolicy.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "severity": severity,
                "is_24x7": is_24x7,
                "calendar": None if is_24x7 else calendar,
                "first_response_minutes": fr,
                "analysis_minutes": an,
                "reply_minutes": rp,
                "resolution_minutes": rs,
                "confirmation_minutes": cf,
                "warn_percent": 80,
                "sort_order": (i + 1) * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
