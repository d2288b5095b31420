"""Copies of the shared contract files stay byte-identical to ../shared when it exists."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

COPIES = [
    ("bot/knowledge/data-dictionary.yaml", "clinical/data-dictionary.yaml"),
    ("bot/knowledge/seed.txt", "seed/calcinosis-and-rheumatic-disease.txt"),
    ("tests/data/vignettes-public.yaml", "clinical/vignettes-public.yaml"),
    ("requirements/constraints-shared.txt", "stack/constraints-py310.txt"),
]


@pytest.mark.parametrize(("ours", "theirs"), COPIES)
def test_copy_matches_shared(ours: str, theirs: str) -> None:
    source = SHARED / theirs
    if not source.exists():
        pytest.skip("../shared is not beside this checkout (a user's machine or CI)")
    assert (ROOT / ours).read_bytes() == source.read_bytes(), (
        f"{ours} drifted from ../shared/{theirs}: copy it again (cp {source} {ours})"
    )


def test_lock_agrees_with_shared_constraints() -> None:
    """Every package pinned in the shared constraints has the same pin in our lock."""

    def pins(path: Path) -> dict[str, str]:
        out = {}
        for line in path.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==", 1)
                out[name.strip().lower().replace("_", "-")] = version.strip()
        return out

    shared = pins(ROOT / "requirements/constraints-shared.txt")
    lock = pins(ROOT / "requirements/lock.txt")
    differ = {n: (v, lock.get(n)) for n, v in shared.items() if lock.get(n) not in (None, v)}
    assert not differ, f"lock pins differ from the verified constraints: {differ}"
    for must in ("rasa", "rasa-sdk", "spacy", "pydantic", "sqlalchemy", "python-socketio"):
        assert lock[must] == shared[must]
