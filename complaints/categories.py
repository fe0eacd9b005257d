"""Category codes that code depends on.

Categories are data (seeded by complaints' migrations, edited in the admin); a
rule of another app that names one reads its code here rather than repeating
the literal, so a renamed code is renamed in one place.
"""

# Attitude complaints (态度投诉): training's etiquette rule, the KPI's
# attributed-attitude indicator.
ATTITUDE = "attitude"
