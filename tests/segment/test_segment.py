"""Segmenter: private tokenizer, domain dictionary, placeholders, stopwords, synonyms,
user resources, backends, cache, processes and research helpers."""

import pickle
import sqlite3
import subprocess
import sys

import jieba
import opencc
import pandas as pd
import pytest

from minetools.clean import clean_text, to_simplified
from minetools.segment import (
    PLACEHOLDERS,
    ResourceError,
    Segmenter,
    keywords,
    kwic,
    load_synonyms,
    load_user_dict,
    load_word_list,
    word_frequencies,
)
from minetools.segment.resources import bundled_resource

#: 120 domain terms that must never be split (products, roles, processes, fees, complaints).
DOMAIN_TERMS = [
    # products and accounts
    "信用卡", "借记卡", "社保卡", "工资卡", "理财产品", "大额存单", "定期存款", "结构性存款", "基金定投",
    "保险产品", "分红险", "贵金属", "纪念币", "数字人民币", "二类账户", "睡眠账户", "账单分期", "临时额度",
    "住房贷款", "消费贷", "提前还款", "最低还款", "信用额度",
    # channels and devices
    "U盾", "动态口令", "手机银行", "网上银行", "微信银行", "短信通知", "验证码", "人脸识别", "指纹登录",
    "交易密码", "闪退", "白屏", "系统升级", "系统维护", "自助机", "自助柜员机", "存取款机", "智能柜台",
    "填单机", "叫号机", "吞卡", "吞钞", "登不上", "转账失败",
    # roles
    "大堂经理", "客户经理", "理财经理", "贷款经理", "柜员", "营业员", "保安", "网点负责人", "值班经理",
    "人工客服", "智能客服", "客服热线", "投诉电话", "转人工", "语音导航", "暴力催收",
    # places and facilities
    "对公窗口", "现金窗口", "贵宾窗口", "等候区", "营业厅", "营业网点", "营业时间", "停车位", "卫生间",
    "饮水机", "无障碍通道",
    # processes
    "叫号", "取号", "过号", "插队", "挂失", "补卡", "销户", "开户", "跨行转账", "跨行汇款", "大额取现",
    "零钱兑换", "征信记录", "风险测评", "冷静期", "双录", "非柜面交易", "转账限额", "存款证明",
    # fees
    "年费", "手续费", "小额账户管理费", "工本费", "短信费", "违约金", "滞纳金", "扣费", "乱收费", "重复扣费",
    "隐形收费",
    # documents and process pain
    "营业执照", "授权书", "证明材料", "复印件", "骑缝章", "手续繁琐", "跑了几趟", "来回跑",
    # complaint vocabulary (negation stays attached)
    "推诿", "踢皮球", "口径不一", "不了了之", "敷衍", "不耐烦", "爱答不理", "态度恶劣", "甩脸色", "翻白眼",
    "不满意", "很不满意", "不专业", "不作为", "不告知", "没人管", "没人理", "不给办", "办不了", "无人接听",
    "打不通", "误导", "强制搭售", "搭售", "虚假宣传", "盗刷", "信息泄露", "操作失误", "赔礼道歉",
]
CONTEXTS = ["我投诉{}的问题", "{}", "关于{}，我很不满意"]
_S2T = opencc.OpenCC("s2t")


@pytest.fixture(scope="module")
def seg():
    return Segmenter(remove_stopwords=False, use_synonyms=False)


@pytest.fixture(scope="module")
def seg_trad():
    return Segmenter(remove_stopwords=False, use_synonyms=False, simplify=True)


def test_at_least_100_domain_terms_are_checked_and_all_are_in_the_bundled_dictionary():
    bundled = {w for w, _, _ in load_user_dict(bundled_resource("bank_dict.txt"))}
    assert len(set(DOMAIN_TERMS)) >= 100
    assert set(DOMAIN_TERMS) <= bundled
    assert len(bundled) >= 600


@pytest.mark.parametrize("context", CONTEXTS)
def test_domain_terms_are_never_split_in_simplified_or_traditional(seg, seg_trad, context):
    for term in DOMAIN_TERMS:
        text = context.format(term)
        assert term in seg.tokenize(text), text
        traditional = _S2T.convert(text)
        assert term in seg_trad.tokenize(traditional), traditional  # Segmenter converts
        assert term in seg.tokenize(clean_text(traditional)), traditional  # pipeline path


def test_bundled_resources_are_simplified_and_consistent():
    words = {w for w, _, _ in load_user_dict(bundled_resource("bank_dict.txt"))}
    stop = load_word_list(bundled_resource("stopwords.txt"))
    syn = load_synonyms(bundled_resource("synonyms.tsv"))
    every = words | stop | set(syn) | set(syn.values())
    assert [w for w in every if to_simplified(w) != w] == []
    assert not ({"不", "没", "没有", "未", "无", "别", "很", "太"} & stop)  # negation and intensity kept
    assert not (set(syn.values()) & stop)  # a canonical word is never dropped
    assert set(syn) | set(syn.values()) <= words | {"App", "app"}  # every synonym comes out whole


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_placeholders_stay_whole(placeholder):
    assert placeholder in Segmenter().tokenize(f"我的{placeholder}被泄露了")


def test_stopwords_removed_but_negation_kept():
    tokens = Segmenter().tokenize("我们的柜员不理我，也没人管")
    assert "我们" not in tokens and "的" not in tokens
    assert "不" in tokens or "不理" in tokens
    assert "没人管" in tokens


@pytest.mark.parametrize("phrase", ["不满意", "不耐烦", "没人管", "不给办"])
def test_negation_that_flips_meaning_stays_attached(phrase):
    tokens = Segmenter(use_synonyms=False).tokenize(f"我对这个网点{phrase}")
    assert phrase in tokens


def test_synonyms_map_variants_to_one_word():
    assert Segmenter().tokenize("营业员和柜台人员") == ["柜员", "柜员"]
    assert Segmenter().tokenize("排号排了很久")[0] == "排队"
    assert Segmenter().tokenize("等号，取款机") == ["排队", "自助机"]
    assert Segmenter(use_synonyms=False).tokenize("营业员") == ["营业员"]


def test_segmenter_is_picklable_and_gives_same_tokens():
    s = Segmenter()
    text = "大堂经理很不耐烦，手机银行又闪退了😡"
    before = s.tokenize(text)
    assert pickle.loads(pickle.dumps(s)).tokenize(text) == before
    assert "😡" in before


def test_segmenter_does_not_touch_the_global_tokenizers():
    Segmenter(backend="jieba").tokenize("小额账户管理费")
    assert "小额账户管理费" not in jieba.dt.FREQ
    Segmenter(backend="rjieba").tokenize("小额账户管理费")
    if "rjieba" in sys.modules:
        assert not sys.modules["rjieba"].has_word("小额账户管理费")


def test_rjieba_and_jieba_backends_agree_on_complaints():
    texts = ["排队叫号太慢了，大堂经理不耐烦", "信用卡年费莫名被扣，客服热线打不通", "理财经理误导我买了保险产品",
             "我的[银行卡号]被盗刷，打了[手机号]没人接", "ATM机吞卡，等了一个小时", ""]
    for options in ({}, {"hmm": False}, {"remove_stopwords": False, "use_synonyms": False}):
        assert Segmenter(backend="rjieba", **options).segment(texts) == Segmenter(backend="jieba", **options).segment(texts)


def test_segment_handles_missing_values_and_series_keep_their_index():
    s = Segmenter()
    assert s.segment(["", None, float("nan"), "柜员"]) == [[], [], [], ["柜员"]]
    series = pd.Series(["柜员态度差", None], index=[10, 20])
    out = s.segment_series(series)
    assert out.index.tolist() == [10, 20] and out[10] == ["柜员", "态度差"] and out[20] == []


def test_pos_tags_and_pos_filter():
    pairs = Segmenter(pos=True).tokenize("大堂经理很不耐烦[姓名]")
    assert ("大堂经理", "n") in pairs and ("[姓名]", "nz") in pairs
    nouns = Segmenter(keep_pos=("n",)).tokenize("大堂经理很不耐烦，信用卡被扣费")
    assert "大堂经理" in nouns and "信用卡" in nouns and "不耐烦" not in nouns
    for backend in ("rjieba", "jieba"):
        assert ("柜员", "n") in Segmenter(backend=backend, pos=True).tokenize("柜员很凶")


def test_hmm_option_changes_unknown_word_handling():
    text = "柜员小王说明天再来"  # 小王 is not in the dictionary: joined only by the HMM
    assert "小王" in Segmenter().tokenize(text)
    assert "小王" not in Segmenter(hmm=False).tokenize(text)


# -- user resources --------------------------------------------------------------------------
def test_user_dictionary_tolerates_bom_crlf_missing_frequency_and_tabs(tmp_path):
    path = tmp_path / "words.txt"
    path.write_bytes("\ufeff新词一 10 n\r\n新词二\r\n新词三\t5\r\n# comment\r\n\r\n新词四\tnz\r\n".encode("utf-8"))
    assert load_user_dict(path) == [("新词一", 10, "n"), ("新词二", None, None), ("新词三", 5, None),
                                    ("新词四", None, "nz")]
    assert "新词二" in Segmenter(user_dicts=[path]).tokenize("这个新词二很重要")


def test_user_dictionary_duplicates_last_line_wins(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("柜台小姐姐 5\n柜台小姐姐 3000 n\n柜台小姐姐 3000 n\n", encoding="utf-8")
    assert load_user_dict(path) == [("柜台小姐姐", 3000, "n")]


def test_user_dictionary_in_gb18030_and_traditional_script_is_converted(tmp_path):
    path = tmp_path / "trad.txt"
    path.write_bytes("櫃檯小姐姐 3000 n\n".encode("gb18030"))
    s = Segmenter(user_dicts=[path])
    assert "柜台小姐姐" in s.tokenize("那个柜台小姐姐很好")


def test_bad_user_dictionary_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("好词 10 n\n坏词 1.5 n\n词 10 n 多余\n好词二 20\n词三 10 名词\n", encoding="utf-8")
    with pytest.raises(ResourceError) as info:
        load_user_dict(path)
    assert [p.line for p in info.value.problems] == [2, 3, 5]
    assert "line 2" in str(info.value) and "line 5" in str(info.value)
    with pytest.warns(UserWarning, match="line 3"):
        entries = load_user_dict(path, errors="warn")
    assert [w for w, _, _ in entries] == ["好词", "好词二"]
    with pytest.raises(ValueError, match="line 2"):
        Segmenter(user_dicts=[path])
    with pytest.warns(UserWarning):
        s = Segmenter(user_dicts=[path], on_bad_lines="warn")
    assert [p.line for p in s.problems] == [2, 3, 5]


def test_user_word_that_jieba_can_never_produce_is_warned_about(tmp_path):
    path = tmp_path / "punct.txt"
    path.write_text("好词 10\n不满意！ 10\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="line 2"):
        assert load_user_dict(path) == [("好词", 10, None)]


def test_bad_synonym_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "syn.tsv"
    path.write_text("甲\t乙\n只有一列\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_synonyms(path)


def test_user_synonyms_and_stopwords_from_files_and_values(tmp_path):
    syn = tmp_path / "syn.tsv"
    syn.write_bytes("\ufeff柜台小姐姐,櫃員\r\n小姐姐 柜员\r\n".encode("utf-8"))
    stop = tmp_path / "stop.txt"
    stop.write_bytes("\ufeff非常\r\n非常\r\n".encode("utf-8"))
    assert load_synonyms(syn, simplify=True) == {"柜台小姐姐": "柜员", "小姐姐": "柜员"}
    s = Segmenter(extra_synonyms=syn, extra_stopwords=[stop, "麻煩"])
    assert s.tokenize("那个柜台小姐姐非常麻烦") == ["柜员"]
    assert Segmenter(extra_synonyms={"營業員": "服務人員"}).tokenize("营业员") == ["服务人员"]


def test_synonym_chains_are_followed_and_cycles_reported(tmp_path):
    chain = tmp_path / "chain.tsv"
    chain.write_text("甲\t乙\n乙\t丙\n", encoding="utf-8")
    assert load_synonyms(chain) == {"甲": "丙", "乙": "丙"}
    cycle = tmp_path / "cycle.tsv"
    cycle.write_text("甲\t乙\n乙\t甲\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="cycle"):
        load_synonyms(cycle)


# -- cache and processes ---------------------------------------------------------------------
def test_cache_segments_only_new_texts_and_depends_on_the_dictionary(tmp_path):
    texts = ["大堂经理不耐烦", "信用卡年费", "柜台小姐姐很凶"]
    s = Segmenter(cache_dir=tmp_path)
    first = s.segment(texts)
    assert first == Segmenter().segment(texts)
    again = Segmenter(cache_dir=tmp_path)
    assert again.segment(texts + ["新的投诉"]) == first + [Segmenter().tokenize("新的投诉")]
    assert again.last_cache_hits == 3
    words = tmp_path / "w.txt"
    words.write_text("柜台小姐姐 3000 n\n", encoding="utf-8")
    other = Segmenter(cache_dir=tmp_path, user_dicts=[words])
    assert other.config_hash() != s.config_hash()
    assert "柜台小姐姐" in other.segment(texts)[2] and other.last_cache_hits == 0
    with sqlite3.connect(tmp_path / "segment_cache.sqlite") as con:
        assert con.execute("select count(*) from tokens").fetchone()[0] == 4 + 3


def test_worker_processes_give_the_same_tokens():
    texts = [f"第{i}位客户：大堂经理不耐烦，[手机号]没人接，排号排了{i}分钟" for i in range(1200)] + [None, ""]
    serial = Segmenter(n_jobs=1).segment(texts)
    assert Segmenter(n_jobs=2).segment(texts) == serial
    assert Segmenter(n_jobs=2, pos=True).segment(texts[:1000])[5] == Segmenter(pos=True).tokenize(texts[5])


def test_cold_import_does_not_load_pandas_or_the_rjieba_default_tokenizer():
    code = ("import sys; from minetools.segment import Segmenter; Segmenter().segment(['柜员']); "
            "print('pandas' in sys.modules, 'rjieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# -- research helpers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus():
    texts = ["排队排了一个小时，大堂经理不耐烦", "排队太久，叫号机坏了", "信用卡年费乱收费", "信用卡被扣年费",
             "柜员态度差，排队也久"]
    return pd.DataFrame({"text_clean": texts, "branch": ["东", "东", "西", "西", "东"]})


def test_word_frequencies_and_keywords_for_a_subset(corpus):
    tokens = Segmenter().segment(corpus["text_clean"])
    freq = word_frequencies(tokens)
    assert freq.iloc[0]["word"] == "排队" and freq.iloc[0]["count"] == 3 and freq.iloc[0]["docs"] == 3
    west = keywords(tokens, corpus["branch"] == "西", top_n=3)
    assert west["word"].iloc[0] in {"年费", "信用卡"} and "排队" not in west["word"].tolist()
    east = keywords(tokens, corpus["branch"] == "东", method="textrank", top_n=5)
    assert "排队" in east["word"].tolist() and east["score"].iloc[0] == 1.0
    assert keywords(tokens, [2, 3], top_n=1)["word"].tolist() == keywords(tokens, corpus["branch"] == "西", top_n=1)["word"].tolist()


def test_kwic_returns_aligned_context(corpus):
    out = kwic(corpus, "排队", width=4)
    assert list(out.columns) == ["row", "left", "keyword", "right"]
    assert out["row"].tolist() == [0, 1, 4]
    assert out["right"].tolist() == ["排了一个", "太久，叫", "也久"]
    assert {len(x) for x in out["left"]} == {4}
    assert "<table>" in out._repr_html_() and "<b>排队</b>" in out._repr_html_()
    assert kwic(corpus, "排队", width=4, max_rows=2).shape[0] == 2
    assert kwic(corpus["text_clean"], "不存在").empty


def test_config_file_user_resources_reach_the_run(tmp_path):
    import json as _json

    from minetools.cli import main

    (tmp_path / "words.txt").write_bytes("\ufeff小金库卡 n\r\n".encode("utf-8"))
    (tmp_path / "syn.tsv").write_text("小金库卡\t储蓄卡\n", encoding="utf-8")
    (tmp_path / "stop.txt").write_text("窗口\n", encoding="utf-8")
    cfg = tmp_path / "minetools.toml"
    cfg.write_text('user_dicts = ["words.txt"]\nsynonym_files = ["syn.tsv"]\nstopword_files = ["stop.txt"]\n'
                   'min_n = 2\nn_boot = 10\nrender = false\n[extra_synonyms]\n"营业厅" = "网点"\n', encoding="utf-8")
    texts = [f"第{i}次去营业厅办小金库卡，窗口只开了一个，等了一个小时。" for i in range(12)]
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": texts, "score": [2] * 12}).to_csv(src, index=False)
    assert main(["run", str(src), "--out", str(tmp_path / "run"), "--config", str(cfg), "--quiet"]) == 0
    tokens = pd.read_parquet(tmp_path / "run" / "complaints.parquet")["tokens"].iloc[0].tolist()
    # 小金库卡 → 储蓄卡 (user file) → 借记卡 (bundled table): chains are followed
    assert "借记卡" in tokens and "小金库卡" not in tokens and "网点" in tokens and "窗口" not in tokens
    settings = _json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))["settings"]
    assert settings["synonym_files"] == [str((tmp_path / "syn.tsv").resolve())]


def test_bad_user_dictionary_line_in_config_stops_the_run_with_file_and_line(tmp_path, capsys):
    from minetools.cli import main

    (tmp_path / "words.txt").write_text("好词 5 n\n坏词 abc n x\n", encoding="utf-8")
    cfg = tmp_path / "minetools.toml"
    cfg.write_text('user_dicts = ["words.txt"]\n', encoding="utf-8")
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["柜员态度很差，等了一个小时也没人管"] * 3}).to_csv(src, index=False)
    assert main(["run", str(src), "--out", str(tmp_path / "run"), "--config", str(cfg), "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "words.txt, line 2" in err and "Traceback" not in err


def test_word_frequencies_read_token_lists_back_from_parquet(tmp_path):
    """complaints.parquet returns each row's tokens as a numpy array; they still count."""
    import pandas as pd

    from minetools.segment import word_frequencies

    pd.DataFrame({"tokens": [["排队", "太久"], ["排队"]]}).to_parquet(tmp_path / "t.parquet")
    tokens = pd.read_parquet(tmp_path / "t.parquet")["tokens"]
    freq = word_frequencies(tokens)
    assert dict(zip(freq.iloc[:, 0], freq.iloc[:, 1]))["排队"] == 2
