"""Chinese word segmentation for complaint text: domain-aware, jieba-compatible, fast.

:class:`Segmenter` owns a private tokenizer (never jieba's or rjieba's module-wide one),
loads the bundled bank-complaint dictionary, stopwords and synonym table once, keeps
masking placeholders such as ``[手机号]`` whole, and is picklable (the tokenizer is rebuilt
lazily in the receiving process).

* ``backend="rjieba"`` (default) is a Rust implementation of jieba's algorithm reading the
  same main dictionary; the bundled and user words are added through its API.
  ``backend="jieba"`` selects plain jieba (a private ``jieba.Tokenizer``).
* Large inputs are split over worker processes when that is measured to help
  (``n_jobs="auto"``, see ``bench/results/segment.md``).
* ``cache_dir=`` keeps a content-hash cache (sqlite): re-running on a file where most rows
  are unchanged only segments the new ones.
* Research helpers: :func:`keywords` (TF-IDF or TextRank for any subset),
  :func:`word_frequencies` and :func:`kwic` (keyword in context).

Resource files (user dictionaries, stopwords, synonyms) may have a BOM, CRLF line ends,
tab or space separators, missing frequencies and duplicate words; lines that cannot be
parsed are reported with their line numbers (:class:`ResourceError`).

The package: ``segmenter`` (:class:`Segmenter`), ``resources`` (reading
dictionaries, word lists and synonym tables), ``workers`` (forked workers and
packed token lists), ``cache`` (the sqlite content-hash cache) and
``explore`` (research helpers).
"""

from minetools.segment.explore import keywords, kwic, word_frequencies
from minetools.segment.resources import (PLACEHOLDERS, LineProblem, ResourceError, load_synonyms, load_user_dict,
                                         load_word_list, parse_synonyms, parse_user_dict, parse_word_list)
from minetools.segment.segmenter import Segmenter

__all__ = [
    "Segmenter",
    "PLACEHOLDERS",
    "ResourceError",
    "LineProblem",
    "load_user_dict",
    "load_word_list",
    "load_synonyms",
    "parse_user_dict",
    "parse_word_list",
    "parse_synonyms",
    "keywords",
    "word_frequencies",
    "kwic",
]
