"""Tests for minetools.drivers (key-driver analysis of complaint themes)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import norm, spearmanr

from minetools.drivers import (
    RESULT_COLUMNS,
    analyze_drivers,
    lmg,
    r_squared,
    relative_weights,
)

REF = Path(__file__).parents[1] / "data" / "reference"
TOL = 1e-4


# ---------------------------------------------------------------------------
# Reference data sets (copies of the published examples)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def attitude():
    df = pd.read_csv(REF / "attitude.csv")
    return df.drop(columns="rating"), df["rating"]


@pytest.fixture(scope="module")
def mtcars():
    df = pd.read_csv(REF / "mtcars.csv")
    return df[["cyl", "disp", "hp", "gear"]], df["mpg"]


@pytest.fixture(scope="module")
def swiss():
    df = pd.read_csv(REF / "swiss.csv")
    return df.drop(columns=["Location", "Fertility"]), df["Fertility"]


def _ols_r2(X: pd.DataFrame, y: pd.Series) -> float:
    """Independent R² via statsmodels, for cross-checks."""
    return float(sm.OLS(y.to_numpy(float), sm.add_constant(X.to_numpy(float))).fit().rsquared)


# ---------------------------------------------------------------------------
# Published reference values
# ---------------------------------------------------------------------------


def test_lmg_reproduces_published_attitude_values(attitude):
    X, y = attitude
    expected = {
        "complaints": 0.370816,
        "privileges": 0.050904,
        "learning": 0.155766,
        "raises": 0.120345,
        "critical": 0.006589,
        "advance": 0.028182,
    }
    got = lmg(X, y)
    assert list(got.index) == list(X.columns)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=TOL)


def test_relative_weights_reproduce_published_attitude_values(attitude):
    X, y = attitude
    expected = {
        "complaints": 0.3627602,
        "privileges": 0.0560023,
        "learning": 0.1636109,
        "raises": 0.1217804,
        "critical": 0.0082555,
        "advance": 0.0201927,
    }
    got = relative_weights(X, y)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=TOL)


def test_r_squared_reproduces_published_full_and_single_predictor_values(attitude, mtcars, swiss):
    assert r_squared(*attitude) == pytest.approx(0.7326020, abs=TOL)
    assert r_squared(*mtcars) == pytest.approx(0.7791896, abs=TOL)
    assert r_squared(*swiss) == pytest.approx(0.7067350, abs=TOL)
    X, y = attitude
    # Published to three decimals only.
    singles = {
        "complaints": 0.681,
        "privileges": 0.182,
        "learning": 0.389,
        "raises": 0.348,
        "critical": 0.024,
        "advance": 0.024,
    }
    for name, value in singles.items():
        assert r_squared(X[[name]], y) == pytest.approx(value, abs=6e-4)


def test_r_squared_matches_statsmodels(attitude, mtcars, swiss):
    for X, y in (attitude, mtcars, swiss):
        assert r_squared(X, y) == pytest.approx(_ols_r2(X, y), abs=1e-10)


def test_relative_weights_reproduce_published_mtcars_values_and_percentages(mtcars):
    got = relative_weights(*mtcars)
    expected = {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=TOL)
    pct = 100 * got / got.sum()
    for name, value in {"cyl": 29.32274, "disp": 28.50999, "hp": 29.79691, "gear": 12.37037}.items():
        assert pct[name] == pytest.approx(value, abs=1e-3)


def test_lmg_reproduces_mtcars_values(mtcars):
    got = lmg(*mtcars)
    expected = {"cyl": 0.247052, "disp": 0.243500, "hp": 0.210913, "gear": 0.077725}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=TOL)


def test_lmg_and_relative_weights_reproduce_swiss_values(swiss):
    lm = lmg(*swiss)
    rw = relative_weights(*swiss)
    names = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
    lmg_ref = [0.057091, 0.171173, 0.260135, 0.105570, 0.112766]
    rw_ref = [0.048417, 0.154708, 0.271964, 0.114680, 0.116966]
    for name, a, b in zip(names, lmg_ref, rw_ref):
        assert lm[name] == pytest.approx(a, abs=TOL)
        assert rw[name] == pytest.approx(b, abs=TOL)


# ---------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------


def test_lmg_equals_brute_force_average_over_all_orderings(swiss):
    X, y = swiss
    X = X.iloc[:, :4]
    cols = list(X.columns)
    r2 = {(): 0.0}
    for k in range(1, len(cols) + 1):
        for subset in itertools.combinations(cols, k):
            r2[tuple(sorted(subset))] = _ols_r2(X[list(subset)], y)
    brute = dict.fromkeys(cols, 0.0)
    orders = list(itertools.permutations(cols))
    for order in orders:
        for i, c in enumerate(order):
            before = tuple(sorted(order[:i]))
            after = tuple(sorted(order[: i + 1]))
            brute[c] += (r2[after] - r2[before]) / len(orders)
    got = lmg(X, y)
    for c in cols:
        assert got[c] == pytest.approx(brute[c], abs=1e-10)


def test_lmg_and_relative_weights_sum_to_r_squared_on_reference_data(attitude, mtcars, swiss):
    for X, y in (attitude, mtcars, swiss):
        r2 = r_squared(X, y)
        assert lmg(X, y).sum() == pytest.approx(r2, abs=1e-10)
        assert relative_weights(X, y).sum() == pytest.approx(r2, abs=1e-10)


def _random_regression(seed: int, n: int, p: int):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p))
    X = pd.DataFrame(rng.normal(size=(n, p)) @ mix, columns=[f"x{i}" for i in range(p)])
    y = pd.Series(X.to_numpy() @ rng.normal(size=p) + rng.normal(scale=2.0, size=n))
    return X, y


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), p=st.integers(1, 7), n=st.integers(20, 80))
def test_lmg_and_relative_weights_sum_to_r_squared_on_random_data(seed, p, n):
    X, y = _random_regression(seed, n, p)
    # The identity is exact; 1e-9 agreement needs a design that is not near-singular.
    assume(np.linalg.cond(np.atleast_2d(np.corrcoef(X.to_numpy().T))) < 1e8)
    r2 = _ols_r2(X, y)
    assert r_squared(X, y) == pytest.approx(r2, abs=1e-9)
    assert lmg(X, y).sum() == pytest.approx(r2, abs=1e-9)
    assert relative_weights(X, y).sum() == pytest.approx(r2, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(15, 80))
def test_relative_weights_equal_lmg_with_two_predictors(seed, n):
    X, y = _random_regression(seed, n, 2)
    pd.testing.assert_series_equal(
        relative_weights(X, y), lmg(X, y), check_names=False, atol=1e-10, rtol=0
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), p=st.integers(2, 7), data=st.data())
def test_lmg_unchanged_when_predictors_reordered(seed, p, data):
    X, y = _random_regression(seed, 60, p)
    order = data.draw(st.permutations(list(X.columns)))
    base = lmg(X, y)
    shuffled = lmg(X[order], y)
    assert list(shuffled.index) == list(order)
    pd.testing.assert_series_equal(shuffled.loc[base.index], base, atol=1e-12, rtol=0)


def test_lmg_unchanged_when_reference_predictors_reordered(attitude):
    X, y = attitude
    base = lmg(X, y)
    rev = lmg(X[X.columns[::-1]], y)
    pd.testing.assert_series_equal(rev.loc[base.index], base, atol=1e-12, rtol=0)


def test_constant_predictor_gets_zero_share():
    X, y = _random_regression(3, 50, 3)
    X["const"] = 7.0
    assert lmg(X, y)["const"] == pytest.approx(0.0, abs=1e-12)
    assert relative_weights(X, y)["const"] == pytest.approx(0.0, abs=1e-12)
    assert lmg(X, y).sum() == pytest.approx(_ols_r2(X.drop(columns="const"), y), abs=1e-10)


def test_lmg_rejects_too_many_predictors_pointing_to_relative_weights():
    X, y = _random_regression(0, 100, 21)
    with pytest.raises(ValueError, match="relative_weights"):
        lmg(X, y)


# ---------------------------------------------------------------------------
# Synthetic complaints with known effects
# ---------------------------------------------------------------------------

TRUE_EFFECTS = np.array(
    [-0.8, -0.65, -0.5, -0.4, -0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0.0, -0.6]
)
PREVALENCE = np.array([0.3, 0.25, 0.2, 0.2, 0.15, 0.15, 0.12, 0.12, 0.1, 0.1, 0.2, 0.004])
NULL_THEME = 10  # true effect 0
RARE_THEME = 11  # about 20 of 5,000 complaints
THEMES = [f"t{i}" for i in range(len(TRUE_EFFECTS))]


def simulate_complaints(n: int = 5000, seed: int = 3) -> pd.DataFrame:
    """Complaints with 12 correlated 0/1 themes, branch/channel effects, 1–5 scores."""
    rng = np.random.default_rng(seed)
    p = len(TRUE_EFFECTS)
    # A shared latent factor makes themes co-occur.
    latent = 0.6 * rng.normal(size=(n, 1)) + 0.8 * rng.normal(size=(n, p))
    T = (latent < norm.ppf(PREVALENCE)).astype(int)
    branches = np.array([f"分行{i}" for i in range(6)])
    branch_effect = np.linspace(-0.3, 0.3, 6)
    channels = np.array(["app", "phone", "counter"])
    channel_effect = np.array([0.0, -0.3, 0.2])
    b = rng.integers(0, 6, n)
    c = rng.integers(0, 3, n)
    score = 3.8 + T @ TRUE_EFFECTS + branch_effect[b] + channel_effect[c]
    score = np.clip(np.round(score + rng.normal(0, 0.6, n)), 1, 5)
    df = pd.DataFrame({f"theme_{k}": T[:, i] for i, k in enumerate(THEMES)})
    df["satisfaction"] = score
    df["branch"] = branches[b]
    df["channel"] = channels[c]
    df["month"] = rng.choice([f"2024-{m:02d}" for m in range(1, 7)], n)
    return df


@pytest.fixture(scope="module")
def synthetic():
    return simulate_complaints()


@pytest.fixture(scope="module")
def synthetic_result(synthetic):
    return analyze_drivers(synthetic, themes=THEMES, n_boot=200, random_state=0)


def test_result_has_required_columns_in_order_and_attrs(synthetic_result):
    res = synthetic_result
    assert tuple(res.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert {"p_value", "ranked", "rank"} <= set(res.columns)
    assert list(res["theme"]) == THEMES
    assert res.attrs["n"] == 5000
    assert res.attrs["method"] == "lmg"
    assert res.attrs["n_boot"] == 200
    assert res.attrs["covariates"] == ["branch", "channel", "month"]
    assert res.attrs["score_col"] == "satisfaction"
    assert res.attrs["min_n"] == 30
    assert 0 < res.attrs["r2_covariates"] < res.attrs["r2"] < 1


def test_synthetic_effect_ranking_is_recovered(synthetic_result):
    res = synthetic_result
    m = res["ranked"].to_numpy()
    rho = spearmanr(res.loc[m, "effect"], TRUE_EFFECTS[m]).statistic
    assert rho >= 0.9
    # Rank 1 is the most damaging theme.
    assert res.loc[res["rank"] == 1, "theme"].item() == "t0"


def test_synthetic_effect_cis_cover_true_effects_for_most_themes(synthetic_result):
    res = synthetic_result
    m = res["ranked"].to_numpy()
    covered = (res["effect_ci_low"] <= TRUE_EFFECTS) & (TRUE_EFFECTS <= res["effect_ci_high"])
    assert covered[m].sum() >= 8 and m.sum() == 11


def test_synthetic_strong_themes_are_significant_and_damaging(synthetic_result):
    res = synthetic_result
    strong = res.iloc[:5]
    assert strong["significant"].all()
    assert (strong["effect"] < 0).all() and (strong["importance"] < 0).all()
    assert (strong["impact"] < 0).all()


def test_zero_effect_theme_is_usually_not_significant():
    flags = []
    for seed in range(6):
        res = analyze_drivers(simulate_complaints(n=3000, seed=100 + seed), themes=THEMES, n_boot=0)
        flags.append(bool(res["significant"].iloc[NULL_THEME]))
    assert sum(flags) <= 1


def test_zero_effect_theme_is_not_significant_in_fixed_seed_run(synthetic_result):
    assert not synthetic_result["significant"].iloc[NULL_THEME]
    assert synthetic_result["p_value"].iloc[NULL_THEME] > 0.05


def test_rare_theme_is_reported_but_not_ranked(synthetic_result):
    row = synthetic_result.iloc[RARE_THEME]
    assert row["n"] < 30
    assert not row["ranked"]
    assert np.isnan(row["rank"])
    assert np.isfinite(row["effect"])  # still reported
    ranks = synthetic_result.loc[synthetic_result["ranked"], "rank"]
    assert sorted(ranks) == list(range(1, 12))


def test_rank_follows_effect_among_ranked_themes(synthetic_result):
    ranked = synthetic_result[synthetic_result["ranked"]].sort_values("rank")
    assert ranked["effect"].is_monotonic_increasing


def test_importance_sums_to_r2_gain_over_covariates(synthetic_result):
    res = synthetic_result
    gain = res.attrs["r2"] - res.attrs["r2_covariates"]
    assert res["importance"].abs().sum() == pytest.approx(gain, abs=1e-9)
    assert (np.sign(res["importance"]) == np.sign(res["effect"])).all()


def test_impact_equals_mean_all_minus_mean_without_for_every_theme(synthetic, synthetic_result):
    y = synthetic["satisfaction"]
    for k, row in synthetic_result.set_index("theme").iterrows():
        has = synthetic[f"theme_{k}"] == 1
        assert row["impact"] == pytest.approx(y.mean() - y[~has].mean(), abs=1e-12)
        assert row["impact"] == pytest.approx(
            row["prevalence"] * (row["mean_with"] - row["mean_without"]), abs=1e-12
        )
        assert row["n"] == has.sum()
        assert row["mean_with"] == pytest.approx(y[has].mean(), abs=1e-12)


def test_effects_match_statsmodels_hc3_fit_with_covariate_dummies():
    df = simulate_complaints(n=800, seed=5)
    res = analyze_drivers(df, themes=THEMES[:6], covariates=("branch", "channel"), n_boot=0)
    X = pd.concat(
        [
            df[[f"theme_{k}" for k in THEMES[:6]]],
            pd.get_dummies(df[["branch", "channel"]], drop_first=True),
        ],
        axis=1,
    ).astype(float)
    fit = sm.OLS(df["satisfaction"], sm.add_constant(X)).fit(cov_type="HC3")
    for k, row in res.set_index("theme").iterrows():
        col = f"theme_{k}"
        assert row["effect"] == pytest.approx(fit.params[col], abs=1e-10)
        assert row["effect_ci_low"] == pytest.approx(fit.conf_int().loc[col, 0], abs=1e-10)
        assert row["p_value"] == pytest.approx(fit.pvalues[col], abs=1e-10)
    assert res.attrs["r2"] == pytest.approx(fit.rsquared, abs=1e-10)


def test_importance_equals_brute_force_shapley_with_covariates_always_in():
    df = simulate_complaints(n=600, seed=7)
    themes = THEMES[:4]
    res = analyze_drivers(df, themes=themes, covariates=("branch", "channel"), n_boot=0)
    cov = pd.get_dummies(df[["branch", "channel"]], drop_first=True).astype(float)
    y = df["satisfaction"]
    cols = [f"theme_{k}" for k in themes]

    def v(subset):
        return _ols_r2(pd.concat([cov, df[list(subset)]], axis=1), y)

    base = v(())
    assert res.attrs["r2_covariates"] == pytest.approx(base, abs=1e-10)
    p = len(cols)
    for j, c in enumerate(cols):
        others = [o for o in cols if o != c]
        total = 0.0
        for k in range(p):
            w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for s in itertools.combinations(others, k):
                total += w * (v(s + (c,)) - v(s))
        assert abs(res["importance"].iloc[j]) == pytest.approx(total, abs=1e-10)


def test_more_than_15_themes_switches_to_relative_weights():
    rng = np.random.default_rng(11)
    n, p = 1500, 17
    T = (rng.random((n, p)) < 0.2).astype(int)
    df = pd.DataFrame({f"theme_k{i}": T[:, i] for i in range(p)})
    df["satisfaction"] = np.clip(np.round(4 - T @ np.linspace(0.8, 0, p) + rng.normal(0, 0.7, n)), 1, 5)
    df["channel"] = rng.choice(["app", "phone"], n)
    res = analyze_drivers(df, themes=[f"k{i}" for i in range(p)], n_boot=20)
    assert res.attrs["method"] == "relative_weights"
    gain = res.attrs["r2"] - res.attrs["r2_covariates"]
    assert res["importance"].abs().sum() == pytest.approx(gain, abs=1e-9)
    assert res.attrs["covariates"] == ["channel"]


# ---------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------


def test_bootstrap_same_random_state_gives_identical_result():
    df = simulate_complaints(n=1000, seed=2)
    a = analyze_drivers(df, themes=THEMES, n_boot=40, random_state=123)
    b = analyze_drivers(df, themes=THEMES, n_boot=40, random_state=123)
    pd.testing.assert_frame_equal(a, b)
    c = analyze_drivers(df, themes=THEMES, n_boot=40, random_state=124)
    assert not np.allclose(a["importance_ci_low"], c["importance_ci_low"], equal_nan=True)
    pd.testing.assert_series_equal(a["importance"], c["importance"])


def test_confidence_intervals_contain_point_estimates(synthetic_result):
    res = synthetic_result
    assert (res["effect_ci_low"] <= res["effect"]).all()
    assert (res["effect"] <= res["effect_ci_high"]).all()
    m = res["ranked"]
    assert (res.loc[m, "importance_ci_low"] <= res.loc[m, "importance"]).all()
    assert (res.loc[m, "importance"] <= res.loc[m, "importance_ci_high"]).all()


def test_zero_boots_gives_nan_importance_intervals():
    res = analyze_drivers(simulate_complaints(n=500, seed=4), themes=THEMES[:5], n_boot=0)
    assert res["importance_ci_low"].isna().all() and res["importance"].notna().all()


# ---------------------------------------------------------------------------
# Degenerate inputs and errors
# ---------------------------------------------------------------------------


@pytest.fixture()
def small():
    return simulate_complaints(n=600, seed=9)


def test_constant_themes_get_nan_effect_and_are_not_ranked(small):
    df = small.copy()
    df["theme_never"] = 0
    df["theme_always"] = 1
    res = analyze_drivers(df, themes=["never", *THEMES[:5], "always"], n_boot=10).set_index("theme")
    for k in ("never", "always"):
        assert np.isnan(res.loc[k, "effect"]) and np.isnan(res.loc[k, "importance"])
        assert not res.loc[k, "ranked"] and not res.loc[k, "significant"]
        assert np.isnan(res.loc[k, "rank"])
    assert res.loc["never", "n"] == 0 and res.loc["never", "impact"] == 0
    assert res.loc["always", "prevalence"] == 1
    assert res.loc[THEMES[:5], "effect"].notna().all()


def test_missing_scores_are_excluded_and_n_counts_only_scored_rows(small):
    df = small.copy()
    df["satisfaction"] = df["satisfaction"].astype(object)
    df.loc[df.index[:25], "satisfaction"] = np.nan
    df.loc[df.index[25:30], "satisfaction"] = "未评分"  # non-numeric → missing
    res = analyze_drivers(df, themes=THEMES[:5], n_boot=10, random_state=1)
    assert res.attrs["n"] == len(df) - 30
    kept = small.iloc[30:]
    assert res["n"].tolist() == [int(kept[f"theme_{k}"].sum()) for k in THEMES[:5]]
    expected = analyze_drivers(kept, themes=THEMES[:5], n_boot=10, random_state=1)
    pd.testing.assert_frame_equal(res, expected)


def test_missing_covariate_column_is_skipped_and_recorded(small):
    res = analyze_drivers(
        small.drop(columns="month"), themes=THEMES[:5], covariates=("branch", "month", "region"), n_boot=10
    )
    assert res.attrs["covariates"] == ["branch"]
    none = analyze_drivers(small, themes=THEMES[:5], covariates=(), n_boot=10)
    assert none.attrs["covariates"] == [] and none.attrs["r2_covariates"] == 0


def test_missing_score_column_raises_value_error_naming_it(small):
    with pytest.raises(ValueError, match="'csat'"):
        analyze_drivers(small, score_col="csat", themes=THEMES[:3])


def test_missing_theme_column_raises_value_error_naming_it(small):
    with pytest.raises(ValueError, match="theme_fees"):
        analyze_drivers(small, themes=[*THEMES[:3], "fees"])


def test_too_few_usable_rows_raises_value_error(small):
    df = small.iloc[:20]
    with pytest.raises(ValueError, match="parameters"):
        analyze_drivers(df, themes=THEMES)


def test_non_binary_theme_indicator_raises_value_error(small):
    df = small.copy()
    df.loc[df.index[0], "theme_t0"] = 2
    with pytest.raises(ValueError, match="theme_t0"):
        analyze_drivers(df, themes=THEMES[:3])


def test_singleton_covariate_levels_and_single_row_theme_do_not_break_hc3(small):
    df = small.copy()
    df.loc[df.index[0], "branch"] = "新开分行"  # level seen once
    df.loc[df.index[1], "branch"] = None
    df["theme_once"] = 0
    df.loc[df.index[2], "theme_once"] = 1
    res = analyze_drivers(df, themes=[*THEMES[:5], "once"], n_boot=10).set_index("theme")
    assert res.loc[THEMES[:5], ["effect_ci_low", "effect_ci_high"]].notna().all().all()
    assert np.isnan(res.loc["once", "effect"]) and not res.loc["once", "ranked"]


# ---------------------------------------------------------------------------
# Pattern-level computation and the Poisson bootstrap
# ---------------------------------------------------------------------------


def test_poisson_bootstrap_weights_follow_the_poisson_distribution():
    """Table-drawn weights (counts <= 32) and numpy-drawn ones (> 32) match Poisson(count)."""
    from scipy.stats import chisquare, poisson

    from minetools.drivers.bootstrap import poisson_weights

    counts = np.array([1, 1, 3, 32, 40])
    W = poisson_weights(counts, 200_000, np.random.default_rng(7))
    assert W.shape == (5, 200_000)
    for row, lam in zip(W, counts):
        values = row.astype(int)
        top = int(lam + 6 * np.sqrt(lam))
        observed = np.bincount(np.minimum(values, top), minlength=top + 1)
        expected = poisson.pmf(np.arange(top + 1), lam)
        expected[-1] = poisson.sf(top - 1, lam)
        assert chisquare(observed, expected * len(values)).pvalue > 1e-4
        assert row.mean() == pytest.approx(lam, rel=0.01)
        assert row.var() == pytest.approx(lam, rel=0.03)


def test_pattern_level_effects_equal_row_level_fit_with_a_numeric_driver(small):
    """Aggregating identical rows changes nothing: effects and HC3 CIs equal statsmodels on rows."""
    import statsmodels.api as sm

    df = small.copy()
    df["handling_days"] = np.random.default_rng(5).integers(0, 6, len(df)) / 2
    res = analyze_drivers(df, themes=THEMES[:4], extra_drivers=["handling_days"], covariates=("branch",),
                          n_boot=0).set_index("theme")
    assert res.attrs["patterns"] < len(df)
    X = pd.get_dummies(df["branch"], drop_first=True, dtype=float)
    X = pd.concat([df[[f"theme_{t}" for t in THEMES[:4]]].astype(float), df[["handling_days"]], X], axis=1)
    fit = sm.OLS(df["satisfaction"].astype(float), sm.add_constant(X)).fit(cov_type="HC3")
    names = [f"theme_{t}" for t in THEMES[:4]] + ["handling_days"]
    np.testing.assert_allclose(res["effect"], fit.params[names], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res["effect_ci_low"], fit.conf_int()[0][names], rtol=1e-9, atol=1e-12)
    assert res.loc["handling_days", "driver_type"] == "numeric"
    assert not res.loc["handling_days", "ranked"]
    assert np.isnan(res.loc["handling_days", "prevalence"])


# ---------------------------------------------------------------------------
# Binary satisfaction (满意/不满意): logistic regression
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary():
    df = simulate_complaints(n=3000, seed=4)
    df["satisfied"] = np.where(df["satisfaction"] >= 4, "满意", "不满意")
    df["sat01"] = (df["satisfaction"] >= 4).astype(int)
    return df


def _logit_design(df, themes, covariates):
    import statsmodels.api as sm

    X = pd.get_dummies(df[list(covariates)], drop_first=True, dtype=float)
    X = pd.concat([X, df[[f"theme_{t}" for t in themes]].astype(float)], axis=1)
    return sm.add_constant(X)


def test_binary_outcome_reproduces_statsmodels_logit_odds_ratios_tests_and_marginal_effects(binary):
    import statsmodels.api as sm

    themes, cov = THEMES[:6], ("branch", "channel")
    res = analyze_drivers(binary, score_col="sat01", themes=themes, covariates=cov, n_boot=0)
    assert res.attrs["outcome"] == "binary"
    fit = sm.Logit(binary["sat01"], _logit_design(binary, themes, cov)).fit(disp=0, cov_type="HC0")
    names = [f"theme_{t}" for t in themes]
    np.testing.assert_allclose(res["odds_ratio"], np.exp(fit.params[names]), rtol=1e-6)
    np.testing.assert_allclose(res["p_value"], fit.pvalues[names], rtol=1e-4)
    np.testing.assert_allclose(res["odds_ratio_ci_low"], np.exp(fit.conf_int()[0][names]), rtol=1e-6)
    ame = fit.get_margeff(at="overall", dummy=True).margeff[-len(themes):] * 100
    np.testing.assert_allclose(res["effect"], ame, rtol=1e-6)  # percentage points
    assert res.attrs["r2"] == pytest.approx(fit.prsquared, abs=1e-9)
    # satisfied share with / without each theme
    for t in themes:
        has = binary[f"theme_{t}"] == 1
        assert res.set_index("theme").loc[t, "mean_with"] == pytest.approx(binary.loc[has, "sat01"].mean())


def test_binary_dominance_equals_brute_force_mcfadden_shapley_with_covariates_always_in(binary):
    import itertools

    import statsmodels.api as sm

    themes, cov = THEMES[:3], ("branch",)
    res = analyze_drivers(binary, score_col="sat01", themes=themes, covariates=cov, n_boot=0)
    ll_null = sm.Logit(binary["sat01"], np.ones(len(binary))).fit(disp=0).llf
    r2 = {}
    for k in range(len(themes) + 1):
        for subset in itertools.combinations(themes, k):
            X = _logit_design(binary, subset, cov)
            r2[frozenset(subset)] = 1 - sm.Logit(binary["sat01"], X).fit(disp=0).llf / ll_null
    p = len(themes)
    for t in themes:
        others = [o for o in themes if o != t]
        share = 0.0
        for k in range(p):
            for subset in itertools.combinations(others, k):
                wgt = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                share += wgt * (r2[frozenset(subset) | {t}] - r2[frozenset(subset)])
        assert abs(res.set_index("theme").loc[t, "importance"]) == pytest.approx(share, abs=1e-8)
    assert res.attrs["r2_covariates"] == pytest.approx(r2[frozenset()], abs=1e-8)
    assert res["importance"].abs().sum() == pytest.approx(res.attrs["r2"] - res.attrs["r2_covariates"], abs=1e-9)


def test_two_valued_text_scores_and_thresholds_give_the_same_binary_analysis(binary):
    df = binary.copy()
    df["sat_words"] = df["satisfied"].map({"满意": 5, "不满意": 1})  # as io.parse_scores maps them
    a = analyze_drivers(df, score_col="sat_words", themes=THEMES[:4], n_boot=0)
    b = analyze_drivers(df, score_col="satisfaction", themes=THEMES[:4], satisfied_threshold=4, n_boot=0)
    assert a.attrs["outcome"] == b.attrs["outcome"] == "binary"
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    with pytest.raises(ValueError, match="two values"):
        analyze_drivers(df, score_col="satisfaction", themes=THEMES[:4], outcome="binary", n_boot=0)


# ---------------------------------------------------------------------------
# The sample corpus: recovering the generator's true effects (issue 6 acceptance)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from minetools.config import Settings
    from minetools.datasets import SAMPLE_PATH
    from minetools.pipeline import run

    out = tmp_path_factory.mktemp("sample_run")
    return run(SAMPLE_PATH, out, settings=Settings(n_boot=100, render=False), progress=False)  # tables only


def test_sample_effects_from_assigned_themes_rank_like_the_generators_true_effects(sample_run):
    from minetools.datasets import TRUE_EFFECTS

    table = pd.read_csv(sample_run.out_dir / "drivers.csv", encoding="utf-8-sig").set_index("theme")
    themes = list(TRUE_EFFECTS)
    rho = spearmanr(table.loc[themes, "effect"], [TRUE_EFFECTS[t] for t in themes]).statistic
    assert rho >= 0.9  # measured 0.965


def test_sample_effects_from_true_themes_rank_like_the_generators_true_effects(sample_run):
    from minetools.datasets import TRUE_EFFECTS

    df = sample_run.complaints
    df = df.loc[df["status"].isin(["ok", "truncated"])].copy()
    themes = list(TRUE_EFFECTS)
    for t in themes:
        df[f"theme_{t}"] = df["true_themes"].fillna("").str.split("|").map(lambda keys, t=t: int(t in keys))
    res = analyze_drivers(df, score_col="score", themes=themes, extra_drivers=["handling_days", "closed_late"],
                          n_boot=0).set_index("theme")
    rho = spearmanr(res.loc[themes, "effect"], [TRUE_EFFECTS[t] for t in themes]).statistic
    assert rho >= 0.95  # measured 1.0


def test_sample_run_adds_handling_time_drivers_and_labels_the_score(sample_run):
    table = pd.read_csv(sample_run.out_dir / "drivers.csv", encoding="utf-8-sig").set_index("theme")
    assert table.loc["handling_days", "driver_type"] == "numeric"
    assert table.loc["closed_late", "driver_type"] == "indicator"
    assert table.loc["handling_days", "effect_ci_high"] < 0  # the generator penalises slow handling
    assert table["score_basis"].str.startswith("survey score").all()
    assert sample_run.manifest["drivers"]["extra_drivers"] == ["handling_days", "closed_late"]


def test_sample_run_writes_segment_and_period_comparisons(sample_run):
    seg = pd.read_csv(sample_run.out_dir / "drivers_segments.csv", encoding="utf-8-sig")
    assert set(seg["segment_col"]) == {"branch", "channel", "customer_type"}
    masked = seg[seg["masked"]]
    assert len(masked) and masked["effect"].isna().all() and (masked["n"] < 30).all()
    assert seg.loc[~seg["masked"], "n"].min() >= 30
    change = pd.read_csv(sample_run.out_dir / "drivers_change.csv", encoding="utf-8-sig")
    scored = sample_run.complaints.loc[sample_run.complaints["status"].isin(["ok", "truncated"])]
    months = sorted(scored["month"].dropna().unique())
    before = scored.loc[scored["month"].isin(months[-6:-3]), "score"].mean()
    after = scored.loc[scored["month"].isin(months[-3:]), "score"].mean()
    assert change["contribution"].sum() == pytest.approx(after - before, abs=1e-9)


def test_change_decomposition_attributes_a_rise_in_frequency_to_frequency_not_severity():
    from minetools.drivers import decompose_change

    rng = np.random.default_rng(0)
    rows = []
    for period, share in (("2024-01", 0.2), ("2024-02", 0.4)):
        t0 = (rng.random(500) < share).astype(int)
        t1 = (rng.random(500) < 0.3).astype(int)
        rows.append(pd.DataFrame({"month": period, "theme_a": t0, "theme_b": t1,
                                  "satisfaction": 4.0 - 1.0 * t0 - 0.5 * t1}))
    df = pd.concat(rows, ignore_index=True)
    out = decompose_change(df, period_col="month", before="2024-01", after="2024-02", themes=["a", "b"])
    a = out.set_index("theme").loc["a"]
    assert a["from_frequency"] == pytest.approx(-(a["prevalence_after"] - a["prevalence_before"]), abs=1e-9)
    assert a["from_severity"] == pytest.approx(0.0, abs=1e-9)
    assert out["contribution"].sum() == pytest.approx(out.attrs["change"], abs=1e-12)


def test_segment_comparison_masks_cells_below_min_n_and_never_reports_their_statistics(small):
    from minetools.drivers import compare_segments

    seg = compare_segments(small, by="channel", themes=THEMES, min_n=30)
    assert set(seg["segment"]) == set(small["channel"])
    rare = seg[seg["theme"] == THEMES[RARE_THEME]]
    assert rare["masked"].all() and rare["effect"].isna().all() and rare["mean_with"].isna().all()
    assert (seg.loc[seg["masked"], "mask_reason"].str.len() > 0).all()


@pytest.mark.parametrize(
    "received, closed, late",
    [
        ("2024-03-01 10:00", "2024-03-05 09:59", 0.0),  # Friday + 2 working days = Tuesday 10:00
        ("2024-03-01 10:00", "2024-03-05 10:01", 1.0),
        ("2024-03-02 09:00", "2024-03-06 08:00", 0.0),  # Saturday counts from Monday
        ("2024-03-04 09:00", "2024-03-06 09:30", 1.0),
    ],
)
def test_handling_limit_counts_working_days(received, closed, late):
    from minetools.drivers import handling_time

    out = handling_time([received], [closed], limit_working_days=2)
    assert out["closed_late"].iloc[0] == late


def test_handling_time_is_missing_when_a_timestamp_is_missing_or_reversed():
    from minetools.drivers import handling_time

    out = handling_time(["2024-03-01", None, "2024-03-05"], ["2024-03-02 12:00", "2024-03-02", "2024-03-04"])
    assert out["handling_days"].iloc[0] == pytest.approx(1.5)
    assert out.iloc[1:].isna().all().all()



def _theme_table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 4)) < [0.3, 0.2, 0.15, 0.1]).astype(int)
    y = 4.2 - X @ np.array([0.8, 0.5, 0.3, 0.1]) + rng.normal(0, 0.7, n)
    df = pd.DataFrame(X, columns=[f"theme_t{j}" for j in range(4)])
    df["satisfaction"] = np.clip(np.rint(y), 1, 5)
    df["channel"] = rng.choice(["a", "b", "c"], n)
    return df


def test_the_bootstrap_stops_once_its_interval_ends_are_precise_and_says_how_precise():
    """Fewer replicates only where the Monte-Carlo error of the interval ends stays under the stated bound;
    the first replicates are the same draws whatever the stopping point (seeded per chunk)."""
    from minetools.drivers.bootstrap import MC_TOLERANCE, MIN_REPLICATES, percentile_mc_error

    keys = [f"t{j}" for j in range(4)]
    big = analyze_drivers(_theme_table(20_000, 1), themes=keys, covariates=("channel",), n_boot=3000, random_state=3)
    assert MIN_REPLICATES <= big.attrs["n_boot_used"] < 3000  # a large sample is precise early
    assert big.attrs["bootstrap_mc_error"] <= MC_TOLERANCE
    small = analyze_drivers(_theme_table(150, 2), themes=keys, covariates=("channel",), n_boot=600, random_state=3)
    assert small.attrs["n_boot_used"] == 600 or small.attrs["bootstrap_mc_error"] <= MC_TOLERANCE
    again = analyze_drivers(_theme_table(20_000, 1), themes=keys, covariates=("channel",), n_boot=5000,
                            random_state=3)
    pd.testing.assert_frame_equal(big, again)  # same seed: same replicates, same stopping point
    rng = np.random.default_rng(0)
    wide, narrow = rng.normal(0, 1.0, (400, 2)), rng.normal(0, 0.01, (400, 2))
    assert percentile_mc_error(wide) > 50 * percentile_mc_error(narrow) > 0


def test_a_pattern_with_leverage_one_gives_nan_errors_without_a_warning():
    """A segment where one complaint alone carries a driver: HC3 is undefined there. The errors are NaN (an
    interval left out) and nothing is printed to the user (the 300-row run used to show numpy warnings)."""
    import warnings

    from minetools.drivers.analyze import _ols_hc3

    X = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([3.0, 4.0, 5.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coef, se, _ = _ols_hc3(X, y, np.ones(4))
    assert coef[1] == pytest.approx(-3.0)
    assert np.isnan(se).all()
