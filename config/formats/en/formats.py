"""Kefu's display formats (``FORMAT_MODULE_PATH``): one way to write a date and
a time on every page, in both languages — ``2026-12-02 09:30`` — as the lists,
timelines and exports already do. Only output formats: Django's locale input
formats stay (a form still takes ``2026-12-02`` and ``2026/12/02``)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "m-d"
YEAR_MONTH_FORMAT = "Y-m"
