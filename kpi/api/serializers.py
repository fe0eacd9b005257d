from rest_framework import serializers

from kpi.models import KpiResult


class KpiResultSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period.key")
    period_kind = serializers.CharField(source="period.kind")
    indicator = serializers.CharField(source="indicator.code")
    indicator_name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    subject = serializers.SerializerMethodField()

    class Meta:
        model = KpiResult
        fields = [
            "id",
            "period",
            "period_kind",
            "indicator",
            "indicator_name",
            "unit",
            "subject_type",
            "subject_id",
            "subject",
            "staff_id",
            "team_id",
            "department_id",
            "value",
            "target",
            "score",
            "numerator",
            "denominator",
            "sample_size",
            "computed_at",
        ]
        read_only_fields = fields

    def get_subject(self, obj) -> str:
        return f"{obj.subject_type}:{obj.subject_id}"
