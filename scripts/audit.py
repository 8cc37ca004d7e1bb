"""Dependency vulnerability audit of the pinned working set, with pip-audit (make audit).

pip-audit runs from its own virtualenv (build/audit-venv), so its dependencies never
change Rasa's. Findings listed in security/known-vulnerabilities.yml (each with the reason
it is accepted) are reported but do not fail; any other finding fails. When PyPI's
vulnerability data cannot be reached (pip-audit then skips every package), the audit says
so loudly in reports/audit.md and exits 0: no data is not the same as no vulnerability.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KNOWN = ROOT / "security" / "known-vulnerabilities.yml"
REPORT = ROOT / "reports" / "audit.md"


def main(pip_audit: str, freeze: str) -> int:
    known = {
        item["id"]: item for item in (yaml.safe_load(KNOWN.read_text(encoding="utf-8")) or {}).get("accepted") or []
    }
    command = [pip_audit, "-r", freeze, "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    try:
        result = json.loads(done.stdout or "{}")
    except ValueError:
        print(done.stderr[-3000:], file=sys.stderr)
        return 2
    packages = result.get("dependencies") or []
    skipped = [p for p in packages if p.get("skip_reason")]
    findings = [(p["name"], p["version"], v) for p in packages for v in p.get("vulns") or []]
    new = [f for f in findings if f[2]["id"] not in known and not set(f[2].get("aliases") or []) & set(known)]
    lines = [
        "# Dependency audit (pip-audit)",
        "",
        f"{len(packages)} pinned packages; {len(skipped)} could not be audited.",
    ]
    if packages and len(skipped) == len(packages):
        lines += [
            "",
            "**AUDIT NOT RUN: PyPI's vulnerability data could not be reached from this machine.**",
            f"pip-audit said: {skipped[0]['skip_reason']}",
            "Run `make audit` where pypi.org is reachable.",
        ]
    lines += ["", "| package | version | id | fixed in | status |", "|---|---|---|---|---|"]
    for name, version, vuln in findings:
        status = "accepted: " + known[vuln["id"]]["reason"] if vuln["id"] in known else "**new**"
        lines.append(f"| {name} | {version} | {vuln['id']} | {', '.join(vuln.get('fix_versions') or [])} | {status} |")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:8]))
    for name, version, vuln in new:
        print(
            f"NEW VULNERABILITY: {name} {version}: {vuln['id']} (fixed in {vuln.get('fix_versions')})", file=sys.stderr
        )
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
