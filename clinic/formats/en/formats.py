"""The app's notation for dates and times wherever Django formats them without
an explicit format (the admin's lists and read-only fields): 24-hour times and
"Tue 3 Dec 2026, 09:30", as the pages write them, not "Dec. 3, 2026, 9:30 a.m."."""

DATE_FORMAT = "D j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
