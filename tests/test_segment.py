"""Segmenter: private tokenizer, domain dictionary, placeholders, stopwords, synonyms."""

import pickle

import jieba
import pytest

from minetools.clean import to_simplified
from minetools.segment import PLACEHOLDERS, Segmenter, load_synonyms, load_user_dict

DOMAIN_TERMS = [
    "大堂经理", "客户经理", "理财经理", "柜员", "信用卡", "理财产品", "大额存单", "手机银行", "网上银行", "U盾",
    "叫号", "取号", "挂失", "销户", "跨行转账", "不耐烦", "推诿", "吞卡", "乱收费", "扣费", "年费", "手续费",
    "人工客服", "客服热线", "人脸识别", "验证码", "闪退", "自助机", "叫号机", "营业厅", "停车位", "卫生间",
    "不满意", "敷衍", "态度恶劣", "搭售", "误导", "征信", "提前还款", "小额账户管理费", "工本费", "短信费",
]


@pytest.fixture(scope="module")
def seg():
    return Segmenter(remove_stopwords=False, use_synonyms=False)


@pytest.mark.parametrize("term", DOMAIN_TERMS)
def test_domain_terms_are_never_split_in_simplified_or_traditional(seg, term):
    sentence = f"我投诉{term}的问题"
    assert term in seg.tokenize(sentence)
    assert term in seg.tokenize(to_simplified(sentence.replace("问题", "問題")))


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_placeholders_stay_whole(placeholder):
    assert placeholder in Segmenter().tokenize(f"我的{placeholder}被泄露了")


def test_stopwords_removed_but_negation_kept():
    tokens = Segmenter().tokenize("我们的柜员不理我，也没人管")
    assert "我们" not in tokens and "的" not in tokens
    assert "不" in tokens or "不理" in tokens


def test_synonyms_map_variants_to_one_word():
    assert Segmenter().tokenize("营业员和柜台人员") == ["柜员", "柜员"]


def test_segmenter_is_picklable_and_gives_same_tokens():
    s = Segmenter()
    text = "大堂经理很不耐烦，手机银行又闪退了😡"
    before = s.tokenize(text)
    assert pickle.loads(pickle.dumps(s)).tokenize(text) == before
    assert "😡" in before


def test_segmenter_does_not_touch_jiebas_global_tokenizer():
    Segmenter(backend="jieba").tokenize("小额账户管理费")
    assert "小额账户管理费" not in jieba.dt.FREQ


def test_rjieba_and_jieba_backends_agree_on_complaints():
    texts = ["排队叫号太慢了，大堂经理不耐烦", "信用卡年费莫名被扣，客服热线打不通", "理财经理误导我买了保险产品"]
    a = Segmenter(backend="rjieba").segment(texts)
    b = Segmenter(backend="jieba").segment(texts)
    assert a == b


def test_user_dictionary_tolerates_bom_crlf_missing_frequency_and_tabs(tmp_path):
    path = tmp_path / "words.txt"
    path.write_bytes("\ufeff新词一 10 n\r\n新词二\r\n新词三\t5\r\n# comment\r\n\r\n".encode("utf-8"))
    assert load_user_dict(path) == [("新词一", 10, "n"), ("新词二", None, None), ("新词三", 5, None)]
    assert "新词二" in Segmenter(user_dicts=[path]).tokenize("这个新词二很重要")


def test_bad_synonym_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "syn.tsv"
    path.write_text("甲\t乙\n只有一列\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_synonyms(path)
