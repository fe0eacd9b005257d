"""The README's configuration table names every environment variable the
settings read, so that an operator never has to read the code to configure Kefu."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_READ = re.compile(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"")


def test_every_environment_variable_is_in_the_readme():
    names = set()
    for module in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(ENV_READ.findall(module.read_text()))
    readme = (ROOT / "README.md").read_text()
    assert names, "the pattern found no env reads: update the test"
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []


def test_the_readme_webhook_verification_accepts_a_kefu_signature():
    """The partner's snippet in the README verifies what Kefu really sends."""
    import time

    from partners.webhooks import webhook_sign

    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(import hashlib.*?def verify.*?)```", readme, re.S)
    assert snippet, "the README lost its webhook verification example"
    namespace: dict = {}
    exec(snippet.group(1), namespace)
    body = b'{"event": "complaint.created"}'
    now = str(int(time.time()))
    verify = namespace["verify"]
    assert verify("s3cret", body, webhook_sign("s3cret", body), now)
    assert not verify("other", body, webhook_sign("s3cret", body), now)
