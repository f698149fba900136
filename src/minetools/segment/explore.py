"""Research helpers on segmented texts: word frequencies, keywords (TF-IDF or TextRank) of any subset, and
keyword in context.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported lazily: it would triple the cold-start time
    import pandas as pd

def _token_lists(tokens) -> list[list[str]]:
    if hasattr(tokens, "tolist"):
        tokens = tokens.tolist()
    out = []
    for doc in tokens:
        if hasattr(doc, "tolist") and not isinstance(doc, str):  # token lists read back from Parquet are arrays
            doc = doc.tolist()
        if isinstance(doc, (list, tuple)):
            out.append([t[0] if isinstance(t, tuple) else t for t in doc])
        else:
            out.append([])
    return out


def _subset(docs: list, subset) -> list:
    if subset is None:
        return docs
    if hasattr(subset, "to_numpy"):
        subset = subset.to_numpy()
    subset = list(subset)
    if subset and type(subset[0]).__name__ in ("bool", "bool_"):
        if len(subset) != len(docs):
            raise ValueError(f"boolean subset has {len(subset)} values for {len(docs)} documents")
        return [d for d, keep in zip(docs, subset) if keep]
    return [docs[int(i)] for i in subset]


def word_frequencies(tokens, subset=None, *, top_n: int | None = None, min_len: int = 1) -> pd.DataFrame:
    """Token counts: ``word``, ``count``, ``docs`` (documents containing it), ``doc_share``.

    ``tokens`` is a list/Series of token lists (``Segmenter().segment(texts)``);
    ``subset`` a boolean mask or positions selecting documents.
    """
    import pandas as pd

    docs = _subset(_token_lists(tokens), subset)
    count, docs_with = Counter(), Counter()
    for doc in docs:
        doc = [t for t in doc if len(t) >= min_len]
        count.update(doc)
        docs_with.update(set(doc))
    rows = count.most_common(top_n)
    frame = pd.DataFrame(rows, columns=["word", "count"])
    frame["docs"] = [docs_with[w] for w in frame["word"]]
    frame["doc_share"] = frame["docs"] / max(len(docs), 1)
    return frame


def _tfidf(all_docs, docs, top_n, min_len):
    n = len(all_docs)
    df = Counter()
    for doc in all_docs:
        df.update(set(doc))
    tf = Counter()
    for doc in docs:
        tf.update(t for t in doc if len(t) >= min_len)
    total = sum(tf.values()) or 1
    scores = {w: (c / total) * (math.log((1 + n) / (1 + df[w])) + 1.0) for w, c in tf.items()}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]


def _textrank(docs, top_n, min_len, window=5, damping=0.85, iterations=50):
    graph: dict[str, Counter] = defaultdict(Counter)
    for doc in docs:
        doc = [t for t in doc if len(t) >= min_len]
        for i, w in enumerate(doc):
            for v in doc[i + 1:i + window]:
                if v != w:
                    graph[w][v] += 1
                    graph[v][w] += 1
    if not graph:
        return []
    words = sorted(graph)
    out_weight = {w: sum(graph[w].values()) for w in words}
    rank = dict.fromkeys(words, 1.0)
    for _ in range(iterations):
        rank = {w: (1 - damping) + damping * sum(c / out_weight[v] * rank[v] for v, c in graph[w].items())
                for w in words}
    top = max(rank.values())
    return sorted(((w, r / top) for w, r in rank.items()), key=lambda kv: (-kv[1], kv[0]))[:top_n]


def keywords(tokens, subset=None, *, method: str = "tfidf", top_n: int = 20, min_len: int = 2) -> pd.DataFrame:
    """Keywords of a subset of documents, as a DataFrame ``word``, ``score``.

    ``method="tfidf"``: term frequency in the subset × inverse document frequency over *all*
    documents given, so words typical of the subset (a branch, a month) rank first.
    ``method="textrank"``: PageRank over co-occurrences (window 5) within the subset.
    Tokens shorter than ``min_len`` characters are ignored.
    """
    import pandas as pd

    all_docs = _token_lists(tokens)
    docs = _subset(all_docs, subset)
    if method == "tfidf":
        rows = _tfidf(all_docs, docs, top_n, min_len)
    elif method == "textrank":
        rows = _textrank(docs, top_n, min_len)
    else:
        raise ValueError(f"method must be 'tfidf' or 'textrank', got {method!r}")
    return pd.DataFrame(rows, columns=["word", "score"])


def _kwic_frame_class():
    import pandas as pd

    class KwicFrame(pd.DataFrame):
        """Keyword-in-context lines; in a notebook the keyword column lines up."""

        @property
        def _constructor(self):
            return KwicFrame

        def _repr_html_(self):
            from html import escape

            head = "".join(f"<th>{escape(str(c))}</th>" for c in ["", *self.columns])
            rows = []
            for idx, row in zip(self.index, self.itertuples(index=False)):
                cells = []
                for col, value in zip(self.columns, row):
                    align = {"left": "right", "keyword": "center", "right": "left"}.get(col, "right")
                    style = f"text-align:{align};white-space:pre;font-family:monospace"
                    text = escape(str(value))
                    cells.append(f'<td style="{style}">{"<b>" + text + "</b>" if col == "keyword" else text}</td>')
                rows.append(f"<tr><th>{escape(str(idx))}</th>{''.join(cells)}</tr>")
            return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    return KwicFrame


def kwic(data, keyword: str, width: int = 15, *, text_col: str | None = None,
         max_rows: int | None = None) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``keyword`` with ``width`` characters each side.

    ``data`` is a DataFrame (``text_col``, else ``text_clean``, else ``text``), a Series or a
    list of texts. Returns columns ``row`` (index label of the source row), ``left``,
    ``keyword``, ``right``; ``left`` is padded so keywords line up, and in a notebook the
    table renders with the keyword column centred.

    >>> kwic(["排队排了一小时", "不用排队"], "排队", width=3)["right"].tolist()
    ['排了一', '']
    """
    import pandas as pd

    if not keyword:
        raise ValueError("keyword must be a non-empty string")
    if isinstance(data, pd.DataFrame):
        if text_col is None:
            text_col = next((c for c in ("text_clean", "text") if c in data.columns), None)
            if text_col is None:
                raise ValueError(f"pass text_col=; columns are {list(data.columns)}")
        series = data[text_col]
    elif isinstance(data, pd.Series):
        series = data
    else:
        series = pd.Series(list(data))
    rows = []
    for label, text in series.items():
        if not isinstance(text, str):
            continue
        start = text.find(keyword)
        while start != -1:
            end = start + len(keyword)
            left = text[max(0, start - width):start].replace("\n", " ")
            rows.append((label, left.rjust(width, "\u3000"), keyword, text[end:end + width].replace("\n", " ")))
            if max_rows is not None and len(rows) >= max_rows:
                break
            start = text.find(keyword, end)
        if max_rows is not None and len(rows) >= max_rows:
            break
    return _kwic_frame_class()(rows, columns=["row", "left", "keyword", "right"])
