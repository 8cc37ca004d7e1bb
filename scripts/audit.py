"""Dependency vulnerability audit of the pinned working set (make audit).

usage: audit.py FREEZE [--pip-audit PATH] [--known PATH] [--report PATH]

FREEZE is `pip freeze` of the project's virtualenv. Two sources, in this order:

1. pip-audit (from its own virtualenv, build/audit-venv, so its dependencies never change
   Rasa's) with PyPI's live vulnerability data, when that can be reached;
2. otherwise the offline PyPA advisory snapshot `pypa-advisory-db-<date>.tar.gz` (OSV files
   `vulns/<package>/<ID>.yaml`), read in place, never copied into the repository: from
   RYGGVETT_VULNDB (the file or its folder) when set, else from ../shared/vulndb/ beside the
   repository. The report states the data's date: later advisories are unknown to it.

Findings listed in security/known-vulnerabilities.yml (by id or alias, for that package, each
with its reason) are reported but do not fail; any other finding exits 1. With neither source
the audit says so loudly in reports/audit.md and exits 0: no data is not the same as no
vulnerability. A malformed list of known findings exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
KNOWN = ROOT / "security" / "known-vulnerabilities.yml"
REPORT = ROOT / "reports" / "audit.md"
DEFAULT_VULNDB = ROOT.parent / "shared" / "vulndb"
SNAPSHOT_GLOB = "pypa-advisory-db-*.tar.gz"
# The C loader reads the 2,600 advisories in about a second; the pure-Python one takes ten times as long.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Finding:
    package: str  # PEP 503 normalised
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]


def read_pins(freeze: Path) -> dict[str, str]:
    """Normalised name -> version of each `name==version` line."""
    pins: dict[str, str] = {}
    for line in freeze.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep and name and version:
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


def _version(text: Any) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV's rule: walk the events in version order (the files do not always list them so)."""
    bounds = [(_version(value), kind) for event in events for kind, value in event.items()]
    known = [(bound, kind) for bound, kind in bounds if bound is not None]
    if len(known) < len(bounds):
        return False  # an unreadable bound: only the explicit versions list can be trusted
    affected = False
    for bound, kind in sorted(known):
        if kind == "introduced" and version >= bound:
            affected = True
        elif kind == "fixed" and version >= bound or kind == "last_affected" and version > bound:
            affected = False
    return affected


def is_affected(version: str, affected: dict[str, Any]) -> bool:
    """Whether `version` is in the explicit versions list or inside an ECOSYSTEM range."""
    parsed = _version(version)
    listed = affected.get("versions") or []
    if version in map(str, listed) or parsed is not None and parsed in map(_version, listed):
        return True
    ranges = [r for r in affected.get("ranges") or [] if r.get("type") == "ECOSYSTEM"]
    return parsed is not None and any(_in_range(parsed, r.get("events") or []) for r in ranges)


def _fixes(version: str, affected: dict[str, Any]) -> tuple[str, ...]:
    """The fixed versions above `version`: the upgrades that would help."""
    current = _version(version)
    fixes = {
        e["fixed"]
        for r in affected.get("ranges") or []
        if r.get("type") == "ECOSYSTEM"
        for e in r.get("events") or []
        if "fixed" in e
    }
    found = [(v, f) for f in fixes if (v := _version(f)) is not None and (current is None or v > current)]
    return tuple(f for _, f in sorted(found))


def find_snapshot(env: Mapping[str, str]) -> tuple[Path | None, Path]:
    """The newest snapshot where RYGGVETT_VULNDB (or ../shared/vulndb/) points, and where that is."""
    where = Path(env["RYGGVETT_VULNDB"]) if env.get("RYGGVETT_VULNDB") else DEFAULT_VULNDB
    if where.is_file():
        return where, where
    found = sorted(where.glob(SNAPSHOT_GLOB)) if where.is_dir() else []
    return (found[-1] if found else None), where


def snapshot_age(snapshot: Path, today: date) -> str:
    """`data of <date>, <n> days old`, from the file name (pypa-advisory-db-<date>.tar.gz)."""
    match = re.search(r"\d{4}-\d{2}-\d{2}", snapshot.name)
    if not match:
        return "data of an unknown date (none in the file name)"
    return f"data of {match.group(0)}, {(today - date.fromisoformat(match.group(0))).days} days old"


def match_snapshot(pins: Mapping[str, str], snapshot: Path) -> list[Finding]:
    """Every pinned version the snapshot's advisories (withdrawn ones aside) call affected."""
    findings: list[Finding] = []
    with tarfile.open(snapshot) as tar:
        for member in tar:
            path = PurePosixPath(member.name)
            if not (member.isfile() and path.suffix == ".yaml" and "vulns" in path.parts):
                continue
            advisory = yaml.load(tar.extractfile(member), Loader=LOADER) or {}
            if advisory.get("withdrawn"):
                continue
            for affected in advisory.get("affected") or []:
                name = canonicalize_name(affected.get("package", {}).get("name", ""))
                if name in pins and is_affected(pins[name], affected):
                    aliases = tuple(advisory.get("aliases") or [])
                    findings.append(Finding(name, pins[name], advisory["id"], aliases, _fixes(pins[name], affected)))
    return sorted(findings, key=lambda f: (f.package, f.id))


def run_pip_audit(pip_audit: Path, freeze: Path) -> tuple[list[Finding] | None, str]:
    """pip-audit's findings, or None and why it could not audit."""
    if not pip_audit.exists():
        return None, f"pip-audit is not installed at {pip_audit}"
    command = [str(pip_audit), "-r", str(freeze), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    done = subprocess.run([*command, "-f", "json"], capture_output=True, text=True, timeout=1800)
    try:
        packages = json.loads(done.stdout or "{}").get("dependencies") or []
    except ValueError:
        return None, "pip-audit failed: " + (done.stderr.strip().splitlines() or ["no output"])[-1]
    skipped = [p for p in packages if p.get("skip_reason")]
    if not packages or len(skipped) == len(packages):
        reason = skipped[0]["skip_reason"] if skipped else "no packages audited"
        return None, f"pip-audit could not reach PyPI's vulnerability data ({reason})"
    findings = [
        Finding(
            canonicalize_name(p["name"]),
            p["version"],
            v["id"],
            tuple(v.get("aliases") or []),
            tuple(v.get("fix_versions") or []),
        )
        for p in packages
        for v in p.get("vulns") or []
    ]
    return findings, f"{len(skipped)} packages pip-audit could not audit" if skipped else ""


def read_known(path: Path) -> list[dict[str, str]]:
    """The accepted findings; each needs an id, a package and a reason."""
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("accepted") or []
    for entry in entries:
        if not all(isinstance(entry.get(key), str) and entry[key].strip() for key in ("id", "package", "reason")):
            raise ValueError(f"{path.name}: every entry needs an id, a package and a reason: {entry}")
    return entries


def accepted_by(finding: Finding, known: list[dict[str, str]]) -> dict[str, str] | None:
    # The package must match too: one CVE can cover several packages (tensorflow, tensorflow-cpu, ...).
    ids = {finding.id, *finding.aliases}
    return next(
        (k for k in known if k["id"] in ids and canonicalize_name(k["package"]) == finding.package),
        None,
    )


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("freeze", type=Path)
    parser.add_argument("--pip-audit", type=Path, default=ROOT / "build" / "audit-venv" / "bin" / "pip-audit")
    parser.add_argument("--known", type=Path, default=KNOWN)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    try:
        known = read_known(args.known)
    except (ValueError, AttributeError) as error:
        print(f"make audit: {error}", file=sys.stderr)
        return 2
    pins = read_pins(args.freeze)
    findings, pip_audit_note = run_pip_audit(args.pip_audit, args.freeze)
    if findings is not None:
        source = [f"Source: pip-audit with PyPI's live vulnerability data, {date.today()}."]
        source += [f"{pip_audit_note}."] if pip_audit_note else []
    else:
        snapshot, where = find_snapshot(env)
        if snapshot is None:
            lines = [
                "# Dependency audit",
                "",
                "**AUDIT NOT RUN: no vulnerability data on this machine.**",
                f"- {pip_audit_note}.",
                f"- No offline snapshot ({SNAPSHOT_GLOB}) at {where}; set RYGGVETT_VULNDB to the file or its folder.",
                "",
                f"{len(pins)} pinned packages were not checked. No data is not the same as no vulnerability.",
            ]
            _write(args.report, lines)
            print("\n".join(lines), file=sys.stderr)
            return 0
        findings = match_snapshot(pins, snapshot)
        source = [
            f"Source: the offline PyPA advisory snapshot {snapshot} ({snapshot_age(snapshot, date.today())});"
            " advisories published after it are unknown to it.",
            f"Used because {pip_audit_note}.",
        ]
    verdicts = [(f, accepted_by(f, known)) for f in findings]
    new = [f for f, entry in verdicts if entry is None]
    found_ids = {i for f in findings for i in (f.id, *f.aliases)}
    stale = [f"{k['id']} ({k['package']})" for k in known if k["id"] not in found_ids]
    lines = [
        "# Dependency audit",
        "",
        *source,
        "",
        f"{len(pins)} pinned packages; findings: {len(findings)} ({len(findings) - len(new)} accepted, {len(new)} new)",
        *([f"Accepted in {args.known.name} but no longer found (remove?): {', '.join(stale)}."] if stale else []),
        "",
        "| package | version | id | aliases | fixed in | status |",
        "|---|---|---|---|---|---|",
    ]
    for f, entry in verdicts:
        status = f"accepted: {entry['reason']}" if entry else "**new**"
        fixed = ", ".join(f.fixed) or "none"
        lines.append(f"| {f.package} | {f.version} | {f.id} | {', '.join(f.aliases)} | {fixed} | {status} |")
    _write(args.report, lines)
    print("\n".join(lines))
    for f in new:
        print(
            f"NEW VULNERABILITY: {f.package} {f.version}: {f.id} {list(f.aliases)}, fixed in {f.fixed}", file=sys.stderr
        )
    return 1 if new else 0


def _write(report: Path, lines: list[str]) -> None:
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
