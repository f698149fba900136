"""Shared fixtures: a slice of the sample corpus with valid personal data injected."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# No test depends on wall-clock speed: Hypothesis has no deadline and no too-slow health check
# (speed is measured by the benchmarks in bench/, not asserted here).
settings.register_profile("minetools", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("minetools")

from minetools.clean.pii_numbers import _ID_CHECK, _ID_WEIGHTS, luhn as _luhn
from minetools.datasets import load_sample


def _card(body: str) -> str:
    return next(body + d for d in "0123456789" if _luhn(body + d))


def _id18(body17: str) -> str:
    return body17 + _ID_CHECK[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS)) % 11]


#: valid personal data that must never reach an output file
SECRETS = {
    "mobile": "13987654321",
    "mobile2": "15811223344",
    "card": _card("622848001234567"),
    "card19": _card("621226100012345678"),
    "id": _id18("44030519900101123"),
}


@pytest.fixture(autouse=True, scope="session")
def _pseudonym_key(tmp_path_factory):
    """Runs in the tests use a key of their own, not the user's ~/.config/minetools/pseudonym.key."""
    import os

    path = tmp_path_factory.mktemp("key") / "pseudonym.key"
    old = os.environ.get("MINETOOLS_PSEUDONYM_KEY")
    os.environ["MINETOOLS_PSEUDONYM_KEY"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MINETOOLS_PSEUDONYM_KEY", None)
    else:
        os.environ["MINETOOLS_PSEUDONYM_KEY"] = old


@pytest.fixture(scope="session")
def sample_slice(tmp_path_factory) -> Path:
    """400 sample rows plus rows carrying valid mobile, card and ID numbers, as a CSV."""
    df = load_sample().head(400).copy()
    extra = df.head(5).copy()
    extra["id"] = [f"PII{i}" for i in range(5)]
    extra["text"] = [
        f"我的手机{SECRETS['mobile']}，柜员态度太差了，请回电",
        f"卡号{SECRETS['card']}在自助机被吞卡，排队等了一小时",
        f"身份证{SECRETS['id']}办业务要复印三次，手续太繁琐",
        f"信用卡{SECRETS['card19']}年费莫名被扣，客服热线打不通，电话{SECRETS['mobile2']}",
        f"聯繫電話{SECRETS['mobile']}，櫃員態度惡劣",
    ]
    extra["branch"] = [f"城东支行 {SECRETS['mobile2']}"] + extra["branch"].tolist()[1:]  # PII outside the text column too
    path = tmp_path_factory.mktemp("input") / "slice.csv"
    pd.concat([df, extra], ignore_index=True).to_csv(path, index=False)
    return path


#: Test files that take minutes, started first so that the two workers of `make test`
#: (one file each, see the Makefile) do not wait on one of them at the end.
_SLOW_FILES = ("test_notebooks.py", "test_end_to_end.py", "test_default_model.py", "test_drivers.py",
               "test_pipeline.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(_SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order within a file is kept
