"""The contributor habits: the CHANGELOG's newest release is the version nn-ref reports, and pre-commit runs the
same lint and format commands as CI."""

import re
from pathlib import Path

import nn_ref

ROOT = Path(__file__).resolve().parents[1]


def test_changelog_top_release_is_nn_ref_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d\d-\d\d)\)$", text, flags=re.M)
    assert releases, "CHANGELOG.md has no '## X.Y.Z (YYYY-MM-DD)' release heading"
    assert releases[0][0] == nn_ref.__version__
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[0] in ("Unreleased", f"{releases[0][0]} ({releases[0][1]})")  # nothing above the newest
    versions = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)


def test_pre_commit_runs_what_ci_runs():
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    entries = re.findall(r"^\s+entry: (.+)$", config, flags=re.M)
    assert sorted(e.split(" --")[0] for e in entries) == ["ruff check", "ruff format"]
    assert "ruff check ." in ci and "ruff format --check ." in ci
