from typing import Any

import pytest
from workup_data import load_vignettes


@pytest.fixture(scope="session")
def vignettes() -> list[dict[str, Any]]:
    return load_vignettes()
