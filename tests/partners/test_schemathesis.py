"""Schemathesis against a live server: no 5xx, responses match the schema.

Up to 50 examples per operation (fuzzing, positive and negative data) after
the coverage phase's boundary values, NUL characters included, with a fixed
seed, within a time budget per principal (``--max-time``, 90 s). On an idle
2-CPU machine the coverage phase takes about 50 s and a fuzzing pass over every
operation with 50 examples about 45 s, so the budget holds one pass; on a
loaded machine schemathesis stops at the budget instead of failing. For a
longer hunt: ``KEFU_FUZZ_EXAMPLES=500 KEFU_FUZZ_SECONDS=900 pytest
tests/partners/test_schemathesis.py``. The subprocess timeout is only a safety
net. Each principal skips the operations its credentials can never call (403
before any input is read), which would only spend the budget."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.partners.api_data import seed_api_data

ST = Path(sys.executable).with_name("st")

MAX_EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "50"))
TIME_BUDGET_SECONDS = int(os.environ.get("KEFU_FUZZ_SECONDS", "90"))

# Operations a principal cannot call at all: staff transitions for a partner
# key, partner-only endpoints for a staff token.
STAFF_ONLY = (
    r"^/api/v1/complaints/\{reference\}/(analysis|assign|attach|close|escalate|hold"
    r"|note|override-due|reject|reopen|reply|resolve|resume|severity|start-analysis"
    r"|start-handling)/$"
)
PARTNER_ONLY = r"^/api/v1/(webhooks/.*|key/)$"


@pytest.mark.skipif(not ST.exists() and not shutil.which("st"), reason="no st")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("principal", ["partner", "staff"])
def test_schemathesis_finds_no_server_errors_or_schema_violations(
    live_server, settings, tmp_path, complaint_defaults, principal
):
    """Once as a partner key (every scope), once as an administrator's token,
    which reaches the staff-only transition endpoints too."""
    settings.KEFU_API_RATE = "100000/min"
    settings.MEDIA_ROOT = tmp_path / "media"  # files the attach endpoint stores
    raw_key = seed_api_data()
    if principal == "partner":
        authorization = f"Api-Key {raw_key}"
        excluded = STAFF_ONLY
    else:
        from rest_framework.authtoken.models import Token

        from tests.factories import UserFactory

        admin = UserFactory(username="st-admin", roles=["admin"])
        authorization = f"Token {Token.objects.create(user=admin).key}"
        excluded = PARTNER_ONLY
    command = [
        str(ST) if ST.exists() else "st",
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: {authorization}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance",
        "--exclude-path-regex",
        excluded,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(TIME_BUDGET_SECONDS),
        "--seed",
        "20261125",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-allow-x00",
        "true",
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
        command,
        capture_output=True,
        text=True,
        timeout=TIME_BUDGET_SECONDS + 150,
        cwd=tmp_path,
    )

    output = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
