"""make audit (scripts/audit.py): pip-audit, else the offline PyPA snapshot, else a loud skip."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# scripts/ is not a package: load the script itself (registered first, as dataclasses need).
_spec = importlib.util.spec_from_file_location("ryggvett_audit_script", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules[_spec.name] = audit  # type: ignore[union-attr]
_spec.loader.exec_module(audit)  # type: ignore[union-attr]

NO_PIP_AUDIT = ["--pip-audit", "/nonexistent/pip-audit"]


def advisory(id_: str, package: str, events: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """An OSV advisory as the PyPA database writes it: ECOSYSTEM events and/or an explicit versions list."""
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package}}
    affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}] if events else []
    affected["ranges"] += extra.pop("ranges", [])
    affected["versions"] = extra.pop("versions", [])
    return {"id": id_, "modified": "2024-01-01T00:00:00Z", "details": "test", "affected": [affected], **extra}


ADVISORIES = [
    # Only the explicit list counts here: GIT ranges are commits, not versions.
    advisory(
        "PYSEC-1",
        "Foo_Bar.baz",
        versions=["1.0", "1.1"],
        ranges=[{"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}, {"fixed": "abc123"}]}],
    ),
    # Two ranges, events not in version order (as in the real urllib3 advisories).
    advisory(
        "PYSEC-2",
        "urllib3",
        [{"introduced": "2.0.0"}, {"fixed": "2.0.6"}, {"introduced": "0"}, {"fixed": "1.26.17"}],
        aliases=["CVE-2023-0001", "GHSA-aaaa"],
    ),
    advisory("PYSEC-3", "lasting", [{"introduced": "1.2"}, {"last_affected": "1.4"}]),
    advisory("PYSEC-4", "unfixed", [{"introduced": "0"}]),
    advisory("PYSEC-5", "redis", [{"introduced": "0"}], versions=["4.6.0"], withdrawn="2023-08-01T00:00:00Z"),
]


def make_snapshot(folder: Path, advisories: list[dict[str, Any]], date: str = "2024-01-02") -> Path:
    """A tarball in the snapshot's layout: vulns/<package>/<ID>.yaml, plus the files beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pypa-advisory-db-{date}.tar.gz"
    files = {"README.md": "x", "vulns/.id-allocator": "x"}
    for item in advisories:
        files[f"vulns/{item['affected'][0]['package']['name']}/{item['id']}.yaml"] = yaml.safe_dump(item)
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return make_snapshot(tmp_path / "vulndb", ADVISORIES)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def known_file(tmp_path: Path, entries: list[dict[str, str]]) -> Path:
    return write(tmp_path / "known.yml", yaml.safe_dump({"accepted": entries}))


@pytest.mark.parametrize(
    ("pin", "found", "fixed"),
    [
        ("Foo.Bar_Baz==1.1", "PYSEC-1", ()),  # explicit list, name normalised as PEP 503 does
        ("foo-bar-baz==1.2", None, ()),
        ("urllib3==1.26.16", "PYSEC-2", ("1.26.17", "2.0.6")),
        ("urllib3==1.26.17", None, ()),
        ("urllib3==2.0.5", "PYSEC-2", ("2.0.6",)),
        ("urllib3==2.0.6", None, ()),
        ("lasting==1.4", "PYSEC-3", ()),
        ("lasting==1.4.1", None, ()),
        ("lasting==1.1", None, ()),
        ("unfixed==99.0", "PYSEC-4", ()),
        ("redis==4.6.0", None, ()),  # withdrawn advisories do not count
    ],
)
def test_snapshot_matching(tmp_path: Path, snapshot: Path, pin: str, found: str | None, fixed: tuple[str, ...]) -> None:
    pins = audit.read_pins(write(tmp_path / "freeze.txt", pin + "\n"))
    findings = audit.match_snapshot(pins, snapshot)
    assert [(f.id, f.fixed) for f in findings] == ([(found, fixed)] if found else [])


def run(tmp_path: Path, freeze: str, known: list[dict[str, str]], vulndb: Path, *extra: str) -> tuple[int, str]:
    report = tmp_path / "audit.md"
    args = [str(write(tmp_path / "freeze.txt", freeze)), "--known", str(known_file(tmp_path, known))]
    code = audit.main([*args, "--report", str(report), *(extra or NO_PIP_AUDIT)], {"RYGGVETT_VULNDB": str(vulndb)})
    return code, report.read_text(encoding="utf-8")


def test_unlisted_finding_fails_and_report_names_source_and_date(tmp_path: Path, snapshot: Path) -> None:
    code, report = run(tmp_path, "urllib3==2.0.5\nflask==3.0.0\n", [], snapshot.parent)
    assert code == 1
    assert f"offline PyPA advisory snapshot {snapshot} (data of 2024-01-02" in report
    assert "2 pinned packages; findings: 1 (0 accepted, 1 new)\n" in report
    assert "| urllib3 | 2.0.5 | PYSEC-2 | CVE-2023-0001, GHSA-aaaa | 2.0.6 | **new** |" in report


def test_known_finding_matched_by_alias_passes_with_its_reason(tmp_path: Path, snapshot: Path) -> None:
    known = [
        {"id": "CVE-2023-0001", "package": "URLLib3", "reason": "no proxies are used"},
        {"id": "PYSEC-9", "package": "gone", "reason": "since upgraded"},
    ]
    code, report = run(tmp_path, "urllib3==2.0.5\n", known, snapshot)  # RYGGVETT_VULNDB may name the file
    assert code == 0
    assert "| accepted: no proxies are used |" in report
    assert "Accepted in known.yml but no longer found (remove?): PYSEC-9 (gone)." in report


def test_known_id_for_another_package_does_not_accept(tmp_path: Path, snapshot: Path) -> None:
    known = [{"id": "PYSEC-2", "package": "requests", "reason": "wrong package"}]
    assert run(tmp_path, "urllib3==2.0.5\n", known, snapshot.parent)[0] == 1


def test_known_entry_without_reason_is_an_error(tmp_path: Path, snapshot: Path) -> None:
    code = audit.main(
        [str(write(tmp_path / "f.txt", "")), "--known", str(known_file(tmp_path, [{"id": "PYSEC-2", "package": "x"}]))],
        {"RYGGVETT_VULNDB": str(snapshot)},
    )
    assert code == 2


def test_no_source_says_so_and_does_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-vulndb"
    code, report = run(tmp_path, "urllib3==2.0.5\n", [], missing)
    assert code == 0
    assert "**AUDIT NOT RUN: no vulnerability data on this machine.**" in report
    assert f"No offline snapshot (pypa-advisory-db-*.tar.gz) at {missing}; set RYGGVETT_VULNDB" in report
    assert "pip-audit is not installed at /nonexistent/pip-audit" in capsys.readouterr().err


def fake_pip_audit(tmp_path: Path, output: dict[str, Any]) -> list[str]:
    script = write(tmp_path / "pip-audit", f"#!{sys.executable}\nprint({json.dumps(json.dumps(output))})\n")
    script.chmod(0o755)
    return ["--pip-audit", str(script)]


def test_pip_audit_is_used_when_it_reaches_the_service(tmp_path: Path, snapshot: Path) -> None:
    vuln = {"id": "GHSA-live", "aliases": ["CVE-2099-1"], "fix_versions": ["3.0"]}
    output = {"dependencies": [{"name": "Flask", "version": "2.0", "vulns": [vuln]}]}
    code, report = run(tmp_path, "flask==2.0\nurllib3==2.0.5\n", [], snapshot, *fake_pip_audit(tmp_path, output))
    assert code == 1
    assert "Source: pip-audit with PyPI's live vulnerability data" in report
    assert "| flask | 2.0 | GHSA-live | CVE-2099-1 | 3.0 | **new** |" in report
    assert "PYSEC-2" not in report  # the snapshot is not read


def test_snapshot_is_used_when_pip_audit_skips_everything(tmp_path: Path, snapshot: Path) -> None:
    output = {"dependencies": [{"name": "urllib3", "skip_reason": "Dependency not found on PyPI"}]}
    code, report = run(tmp_path, "urllib3==2.0.5\n", [], snapshot, *fake_pip_audit(tmp_path, output))
    assert code == 1
    assert "Used because pip-audit could not reach PyPI's vulnerability data (Dependency not found" in report
    assert "| urllib3 | 2.0.5 | PYSEC-2 |" in report


def test_real_snapshot_finds_known_vulnerable_pins(tmp_path: Path) -> None:
    snapshot, where = audit.find_snapshot({})  # the default place, ../shared/vulndb/
    if snapshot is None:
        pytest.skip(f"no PyPA advisory snapshot at {where} (or set RYGGVETT_VULNDB)")
    pins = audit.read_pins(write(tmp_path / "freeze.txt", "requests==2.30.0\naiohttp==3.9.1\nredis==4.6.0\n"))
    findings = {(f.package, f.id): f for f in audit.match_snapshot(pins, snapshot)}
    # CVE-2023-32681: requests leaked Proxy-Authorization on redirects, fixed in 2.31.0.
    assert "CVE-2023-32681" in findings["requests", "PYSEC-2023-74"].aliases
    assert findings["requests", "PYSEC-2023-74"].fixed == ("2.31.0",)
    assert ("aiohttp", "PYSEC-2024-24") in findings
    # PYSEC-2023-73 lists redis 4.6.0 but was withdrawn.
    assert not any(package == "redis" for package, _ in findings)
