"""`ffbcoder catalogue ...` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run
from tests.conftest import DRAFT_TSV, KL_TERM

EXAMPLE = "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt."


def test_catalogue_import_validate_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "ffb.json"
    fhir = str(KL_TERM / "CodeSystem-FFB.json")
    code, _, err = run(capsys, "catalogue", "import", fhir, "--out", str(out))
    assert code == 2 and "--tilstand" in err and "FFB tilstande" in err  # lists the branches to choose from
    code, stdout, _ = run(
        capsys,
        "catalogue",
        "import",
        fhir,
        "--out",
        str(out),
        "--tilstand",
        "FFB tilstande",
        "--indsats",
        "Social indsats",
    )
    assert code == 0 and "concepts" in stdout
    code, stdout, _ = run(capsys, "catalogue", "validate", str(out))
    assert code == 0 and "valid" in stdout
    code, stdout, _ = run(capsys, "catalogue", "show", "--catalogue", str(out))
    assert code == 0 and "Mentale funktioner" in stdout and "Opmærksomhed og koncentrationsevne" in stdout


def test_catalogue_tsv_roundtrip_and_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "draft.json"
    code, _, _ = run(
        capsys, "catalogue", "import", str(DRAFT_TSV), "--out", str(out), "--id", "ffb-bu-udkast", "--draft"
    )
    assert code == 0
    tsv = tmp_path / "again.tsv"
    assert run(capsys, "catalogue", "export", "--catalogue", str(out), "--out", str(tsv))[0] == 0
    assert run(capsys, "catalogue", "validate", str(tsv))[0] == 0
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tkind\tlabel\nt-a\ttilstand\tA\nt-a\tindsats\tB\n", encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "validate", str(bad))
    assert code == 2 and "row 3" in err and "duplicate id" in err


def test_default_catalogue_is_labelled_draft(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "catalogue", "show", "--kind", "indsats")
    assert code == 0 and "UDKAST" in stdout and "i-aflastning" in stdout and "t-skolefravaer" not in stdout
