"""Output of ``GET /api/v1/training/records/`` (read-only)."""

from rest_framework import serializers

from training.selectors import record_as_dict


class CertificationOutSerializer(serializers.Serializer):
    qualification = serializers.CharField()
    number = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class AssignmentOutSerializer(serializers.Serializer):
    course = serializers.CharField(help_text="Course code.")
    course_title = serializers.CharField()
    reason = serializers.CharField(
        help_text="new_hire, failed_assessment, complaint_pattern, capa, other"
    )
    due_on = serializers.DateField(allow_null=True)


class TrainingRecordSerializer(serializers.Serializer):
    """One staff member's training record for a year (computed by the database)."""

    employee_no = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    team = serializers.CharField(allow_null=True, help_text="Team code.")
    department = serializers.CharField(allow_null=True, help_text="Department code.")
    year = serializers.IntegerField()
    hours = serializers.FloatField(help_text="Attended training hours in the year.")
    required_hours = serializers.FloatField(
        help_text="Yearly hours required by the staff member's role (0: none)."
    )
    below_requirement = serializers.BooleanField()
    mandatory_done = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of mandatory courses attended."
    )
    mandatory_missing = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of mandatory courses missing."
    )
    assessments_taken = serializers.IntegerField()
    assessments_passed = serializers.IntegerField()
    top_performer = serializers.BooleanField()
    certifications = CertificationOutSerializer(many=True)
    open_assignments = AssignmentOutSerializer(many=True)

    def to_representation(self, instance):
        return super().to_representation(
            record_as_dict(instance, year=self.context["year"])
        )
