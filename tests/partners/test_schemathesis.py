"""Schemathesis against a live server: no 5xx, responses match the schema.

Bounded: few examples per operation, a fixed seed and a time budget, so the
run stays well under a minute.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.partners.api_data import seed_api_data

ST = Path(sys.executable).with_name("st")


@pytest.mark.skipif(not ST.exists() and not shutil.which("st"), reason="no st")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("principal", ["partner", "staff"])
def test_schemathesis_finds_no_server_errors_or_schema_violations(
    live_server, settings, tmp_path, complaint_defaults, principal
):
    """Once as a partner key (every scope), once as an administrator's token,
    which reaches the staff-only transition endpoints too."""
    settings.KEFU_API_RATE = "100000/min"
    raw_key = seed_api_data()
    if principal == "partner":
        authorization = f"Api-Key {raw_key}"
    else:
        from rest_framework.authtoken.models import Token

        from tests.factories import UserFactory

        admin = UserFactory(username="st-admin", roles=["admin"])
        authorization = f"Token {Token.objects.create(user=admin).key}"
    command = [
        str(ST) if ST.exists() else "st",
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: {authorization}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance",
        "--max-examples",
        "5",
        "--seed",
        "20261125",
        "--max-time",
        "30",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--no-shrink",
        "--warnings",
        "off",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=90, cwd=tmp_path
    )

    output = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
