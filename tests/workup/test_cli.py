"""The CLI of the contract: python -m bot.workup --findings F.json [--labs L.json]."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(
    tmp_path: Path, findings: object, labs: object = None, raw: str | None = None
) -> subprocess.CompletedProcess:
    f = tmp_path / "f.json"
    f.write_text(raw if raw is not None else json.dumps(findings))
    cmd = [sys.executable, "-m", "bot.workup", "--findings", str(f)]
    if labs is not None:
        lab_file = tmp_path / "l.json"
        lab_file.write_text(json.dumps(labs))
        cmd += ["--labs", str(lab_file)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_prints_the_contract_shape(tmp_path: Path) -> None:
    p = run(
        tmp_path,
        {"kidney_disease": "yes", "dialysis": "yes", "skin_necrosis": "yes"},
        {"creatinine": "high"},
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {"differential", "workup", "red_flags"} <= set(out)
    top = out["differential"][0]
    assert top["code"] == "calciphylaxis" and {"group", "score", "for", "against"} <= set(top)
    assert [f["code"] for f in out["red_flags"]] == ["calciphylaxis_suspected"]
    assert out["workup"]["not_recommended"] == ["mri"]


@pytest.mark.parametrize(
    ("findings", "raw", "message"),
    [
        ({"raynauds": "yes"}, None, "unknown finding code 'raynauds'"),
        ({"raynaud": "sometimes"}, None, "'sometimes' is not a valid value for raynaud"),
        ({"age": -3}, None, "not a valid value for age"),
        (None, "{not json", "is not valid JSON"),
        (None, "[1, 2]", "must hold a JSON object"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, findings: object, raw: str | None, message: str
) -> None:
    p = run(tmp_path, findings, raw=raw)
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr


def test_bad_lab_and_missing_file(tmp_path: Path) -> None:
    p = run(tmp_path, {"age": 40}, {"calcium": "sky-high"})
    assert p.returncode == 2 and "not a valid value for lab calcium" in p.stderr
    p = subprocess.run(
        [sys.executable, "-m", "bot.workup", "--findings", str(tmp_path / "nope.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "cannot read findings file" in p.stderr
