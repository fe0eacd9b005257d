"""Due-time arithmetic in business time of the default China calendar
(Mon–Fri 09:00–12:00 and 13:30–18:00, public holidays, 调休 workdays) and 24×7."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.business_time import Schedule
from complaints.models import CalendarDay
from tests.factories.complaints import default_calendar

SH = ZoneInfo("Asia/Shanghai")


def t(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def schedule(db):
    return Schedule(default_calendar())


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # plain working morning
        (t(2026, 11, 24, 10, 0), 30, t(2026, 11, 24, 10, 30)),
        # across the lunch break
        (t(2026, 11, 24, 11, 45), 30, t(2026, 11, 24, 13, 45)),
        # starting in the lunch break
        (t(2026, 11, 24, 12, 30), 30, t(2026, 11, 24, 14, 0)),
        # Friday evening across the weekend
        (t(2026, 11, 27, 17, 50), 30, t(2026, 11, 30, 9, 20)),
        # received on a Saturday: the clock starts Monday morning
        (t(2026, 11, 28, 10, 0), 30, t(2026, 11, 30, 9, 30)),
        # after hours on a weekday
        (t(2026, 11, 24, 20, 0), 30, t(2026, 11, 25, 9, 30)),
        # the eve of the National Day holidays (Oct 1–7) → Thursday Oct 8
        (t(2026, 9, 30, 17, 30), 60, t(2026, 10, 8, 9, 30)),
        # Friday Oct 9 into the adjusted working Saturday Oct 10 (调休)
        (t(2026, 10, 9, 17, 0), 120, t(2026, 10, 10, 10, 0)),
        # Saturday Sep 19 into the adjusted working Sunday Sep 20 (调休)
        (t(2026, 9, 19, 10, 0), 30, t(2026, 9, 20, 9, 30)),
        # Spring Festival 2026: adjusted Saturday Feb 14, holidays Feb 15–23
        (t(2026, 2, 14, 17, 30), 60, t(2026, 2, 24, 9, 30)),
        # 48 business hours = 6 days × 7.5 h + 3 h: ends exactly at 12:00
        (t(2026, 11, 23, 9, 0), 2880, t(2026, 12, 1, 12, 0)),
        # New Year 2026: Jan 1–3 off, Sunday Jan 4 is a working day
        (t(2025, 12, 31, 17, 0), 120, t(2026, 1, 4, 10, 0)),
    ],
)
def test_add_business_minutes(schedule, start, minutes, due):
    assert schedule.add(start, minutes) == due


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (t(2026, 11, 24, 11, 0), t(2026, 11, 24, 14, 0), 90),
        (t(2026, 11, 27, 17, 0), t(2026, 11, 30, 10, 0), 120),
        (t(2026, 9, 30, 17, 0), t(2026, 10, 8, 9, 30), 90),
        (t(2026, 10, 9, 17, 0), t(2026, 10, 10, 10, 0), 120),
        (t(2026, 11, 24, 10, 0), t(2026, 11, 24, 9, 0), 0),
    ],
)
def test_minutes_between(schedule, start, end, minutes):
    assert schedule.minutes_between(start, end) == minutes


def test_24x7_counts_wall_clock_time():
    schedule = Schedule(None)
    assert schedule.add(t(2026, 11, 28, 23, 0), 10) == t(2026, 11, 28, 23, 10)
    assert schedule.minutes_between(t(2026, 10, 1, 0, 0), t(2026, 10, 2, 0, 0)) == 1440


def test_calendar_days_are_editable_data(db):
    calendar = default_calendar()
    # given an extra company holiday on a Wednesday
    CalendarDay.objects.create(
        calendar=calendar, date=t(2026, 12, 2, 0, 0).date(), kind="holiday", name="司庆"
    )
    schedule = Schedule(calendar)
    assert schedule.add(t(2026, 12, 1, 17, 30), 60) == t(2026, 12, 3, 9, 30)


def test_default_calendar_ships_2025_to_2027(db):
    days = CalendarDay.objects.filter(calendar=default_calendar())
    years = {d.year for d in days.values_list("date", flat=True)}
    assert years == {2025, 2026, 2027}
    assert days.filter(kind="workday").count() >= 10
    assert days.get(date=t(2025, 1, 28, 0, 0).date()).kind == "holiday"
