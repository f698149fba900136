"""The theme model's feature code without scikit-learn: row normalisation and the stored vectorizers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from minetools.themes.features import l2_normalize_rows


def test_row_normalisation_equals_scikit_learn_to_the_bit():
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        dense = rng.random((300, 400)).astype(dtype) * (rng.random((300, 400)) < rng.random((300, 1)) * 0.6)
        dense[[3, 50, 299]] = 0  # empty rows stay empty
        dense[10, 5] = 3.0  # a row of one value
        X = sp.csr_matrix(dense)
        expected = normalize(X.copy(), norm="l2", copy=False)
        got = l2_normalize_rows(X.copy())
        assert got.dtype == dtype and np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.data.view(np.uint8), expected.data.view(np.uint8))


def test_applying_the_shipped_model_does_not_import_scikit_learn():
    """A plain run applies the shipped model; scikit-learn (half a second to import) is for fitting."""
    code = ("import sys\nfrom minetools.themes import default_model\n"
            "m = default_model()\nm.predict_proba(['排队两个小时没人管', '柜员态度很差'])\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
