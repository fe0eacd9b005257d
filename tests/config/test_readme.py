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
