#!/usr/bin/env python
"""Compile every gettext catalogue of the project (``**/locale/*/LC_MESSAGES/*.po``).

Pure Python (polib), so a fresh machine without GNU gettext still gets the Chinese
screens; ``manage.py compilemessages`` does the same where gettext is installed.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "var", "node_modules", ".git"}


def main() -> int:
    count = 0
    for po_path in sorted(ROOT.rglob("locale/*/LC_MESSAGES/*.po")):
        if SKIP & set(po_path.relative_to(ROOT).parts):
            continue
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue.save_as_mofile(str(mo_path))
        count += 1
        print(f"compiled {po_path.relative_to(ROOT)}")
    print(f"{count} catalogue(s) compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
