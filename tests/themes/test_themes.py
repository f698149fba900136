"""ThemeModel behaviour on a hand-written table of bank complaints."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from minetools.taxonomy import load_taxonomy
from minetools.themes import ThemeModel, top_terms

Q, SA, OE, II, FE, PC, ST, CA, EN, HL, MS, CH = (
    "queuing", "staff_attitude", "operation_error", "inconsistent_info", "fees",
    "process_complexity", "self_service_tech", "counter_arrangement", "environment",
    "hotline", "mis_selling", "complaint_handling",
)

# (text, expected themes, keyword_free)
# keyword_free = the text avoids the theme's obvious vocabulary (排队/态度/收费/手续/窗口/客服 …)
EXAMPLES: list[tuple[str, set[str], bool]] = [
    # queuing
    ("拿了号前面才两个人，坐了四十分钟", {Q}, True),
    ("早上九点就到了，快十一点才轮到我，中间一直干坐着。", {Q}, True),
    ("客户来电反映：其于上午在我行某支行办理存款业务，等候近两小时未能办理，情绪激动。", {Q}, True),
    ("今天又是熬了一个多钟头😤 这银行的效率真的绝了", {Q}, True),
    ("排队太久", {Q}, False),
    ("从开门等到中午，号码牌上的数字半天不动", {Q}, True),
    ("家人们谁懂啊🙃 去银行办个卡，前面坐了一排人，我硬生生熬到下午", {Q}, True),
    ("效率低下，耽误时间", {Q}, True),
    # staff attitude
    ("柜员头都不抬，把卡直接扔给我，问她话也不回答。", {SA}, True),
    ("尊敬的领导：贵行某网点大堂经理对我母亲说话极不耐烦，嫌她年纪大问题多，严重伤害了老人感情。", {SA}, True),
    ("问了三遍她都不理，自顾自玩手机", {SA}, True),
    ("那个营业员翻了个白眼，说这都不懂还来办，真是气死我了！", {SA}, True),
    ("服务态度极差", {SA}, False),
    ("客户反映柜台人员语气生硬，对其提出的问题冷嘲热讽。", {SA}, True),
    ("这破银行的大堂经理跟个大爷似的，爱搭不理🙄", {SA}, True),
    # operation error
    ("存了五千，回家一看存折上只记了五百，柜员把金额录错了。", {OE}, True),
    ("明明说要办活期转定期，结果给我办成了理财，还要重新跑过去撤销。", {OE, MS}, True),
    ("客户来电称其在柜台取款两万元，回家清点发现少了一千元，要求核查监控。", {OE}, True),
    ("转账时工作人员把收款人名字打错了，钱到现在还退不回来", {OE}, True),
    ("挂失的时候漏登了一张卡，结果那张卡被人刷了", {OE}, True),
    ("新来的小姑娘手忙脚乱，点钞点了三遍还是点错了", {OE}, True),
    # inconsistent information
    ("上周那个柜员说带身份证就行，今天另一个柜员又说要户口本，到底听谁的？", {II, PC}, True),
    ("电话里说可以办，到了网点又说办不了，白跑一趟。", {II}, True),
    ("问了三个工作人员，三个说法，没有一个人能讲明白。", {II}, True),
    ("大堂经理让我去柜台问，柜台又让我回去找大堂经理，没一个人说得清", {II}, True),
    ("客户反映我行员工对同一业务解释前后不一，客户无所适从。", {II}, False),
    # fees
    ("卡里莫名其妙少了十块钱，一查说是小额账户管理费，从来没人告诉过我。", {FE}, False),
    ("说好的免年费，第二年还是被扣了两百", {FE}, False),
    ("跨行转账还要收手续费，太坑了", {FE}, False),
    ("客户称其名下一张久未使用的借记卡每季度被扣款，对此表示不理解。", {FE}, True),
    ("凭啥我自己的钱取出来还要给你们钱？", {FE}, True),
    ("收费不合理", {FE}, False),
    # process complexity
    ("办个销户要填五六张单子，签了十几个名字", {PC}, True),
    ("给我爸代办业务，要这个证明那个证明，老人躺在医院怎么来现场？", {PC}, True),
    ("尊敬的领导：本人因工作调动需转出账户资金，被要求出具资金用途证明，材料提交三次仍未通过审核，流程之繁琐令人失望。", {PC}, False),
    ("手续太繁琐", {PC}, False),
    ("卡被限制了非柜面交易，要我拿工作证明、收入证明来解除，我又不是骗子！", {PC}, True),
    # self-service and digital channels
    ("ATM机把卡吞了，周末还取不出来", {ST}, False),
    ("手机银行更新以后一直闪退，转账都转不了", {ST}, False),
    ("取钱的时候机器显示交易成功，钱却没吐出来", {ST}, True),
    ("app登录老是提示系统繁忙，刷脸也刷不过去😡", {ST}, False),
    ("客户来电反映在我行网银进行跨行汇款时页面卡死，不确定是否汇款成功。", {ST}, False),
    # counter arrangement
    ("十个窗口只开了两个，其他的都空着", {CA}, False),
    ("中午去办事，柜员全去吃饭了，只留一个窗口", {CA}, False),
    ("VIP窗口的柜员闲着没事干，普通窗口后面排了二十多个人也不帮忙分流", {CA, Q}, False),
    ("还没到五点就不让取号了，说是要扎账", {CA}, True),
    ("窗口上一直摆着暂停服务的牌子，里面的人在聊天", {CA, SA}, False),
    # environment
    ("大厅里连把椅子都没有，老人只能站着等", {EN}, True),
    ("夏天网点里闷得像蒸笼，空调也不开", {EN}, False),
    ("厕所不对客户开放，憋了一个小时", {EN}, True),
    ("门口停车位全被员工的车占了，我转了三圈找不到地方停", {EN}, True),
    ("营业厅地上全是烟头纸屑，桌上的笔也写不出字", {EN}, True),
    # hotline
    ("打95588打了十几次都是占线", {HL}, True),
    ("转人工要按七八个键，最后还是让我稍后再拨", {HL}, False),
    ("客户反映拨打客服热线等待半小时无人接听，对此极为不满。", {HL}, False),
    ("电话那头的机器人根本听不懂我说什么，绕来绕去就是不给转人工", {HL}, True),
    ("打了一上午电话都打不进去", {HL}, True),
    # mis-selling
    ("本来是去存定期的，被理财经理忽悠买了一份十年期的保险", {MS}, False),
    ("办贷款非要我买一份意外险才给放款", {MS}, True),
    ("客户称其母亲在不知情的情况下被诱导签署了投资合同，产品现已亏损30%。", {MS}, False),
    ("一进门就被拉着办信用卡，说不办就不给办存款", {MS}, True),
    ("说是跟存款一样稳，结果一年下来本金还少了两千", {MS}, True),
    # complaint handling
    ("上个月投诉过一次，说三个工作日内回复，到现在也没人联系我", {CH}, False),
    ("找了大堂经理要见行长，说行长不在，让我回去等通知，一等就是半个月。", {CH}, True),
    ("出了问题你们只会说是系统原因，一句对不起都没有", {CH}, True),
    ("客户表示已多次向网点反映该问题，均未得到有效处理，要求给予书面答复，否则将向监管部门反映。", {CH}, True),
    ("在意见簿上写了意见，一点回音都没有", {CH}, True),
    # several themes at once
    ("排了一个半小时，好不容易轮到我，柜员还一脸不耐烦，把单子甩回来让我重填。", {Q, SA}, False),
    ("网点只开一个窗口，后面排了三十多号人，经理还在那推销理财产品", {CA, Q, MS}, False),
    ("😡😡 卡被冻结了去柜台问，三个柜员三个说法，还得开证明", {PC, II}, False),
    ("客户来电反映，其信用卡被收取年费，致电客服电话无人接听，投诉至今未有答复。", {FE, HL, CH}, False),
    ("ATM吞卡后打客服电话一直占线", {ST, HL}, False),
    ("等了快一个钟头，前后就一个窗口在办，空调还坏了热得要死", {Q, CA, EN}, True),
    # off topic / praise → other
    ("今天天气很好，下午去公园散步。", set(), True),
    ("请问周末营业吗？", set(), True),
    ("感谢小王耐心细致的讲解，服务很周到，点赞！", set(), True),
    ("我想咨询一下房贷利率现在是多少", set(), True),
]

# Keyword-free descriptions that must be recognised.
MUST_RECOGNISE = [
    ("拿了号前面才两个人，坐了四十分钟", Q),
    ("早上九点就到了，快十一点才轮到我，中间一直干坐着。", Q),
    ("从开门等到中午，号码牌上的数字半天不动", Q),
    ("柜员头都不抬，把卡直接扔给我，问她话也不回答。", SA),
    ("问了三遍她都不理，自顾自玩手机", SA),
    ("回家清点发现少了一千元", OE),
    ("电话里说可以办，到了网点又说办不了，白跑一趟。", II),
    ("凭啥我自己的钱取出来还要给你们钱？", FE),
    ("办个销户要填五六张单子，签了十几个名字", PC),
    ("取钱的时候机器显示交易成功，钱却没吐出来", ST),
    ("还没到五点就不让取号了，说是要扎账", CA),
    ("大厅里连把椅子都没有，老人只能站着等", EN),
    ("打了一上午电话都打不进去", HL),
    ("说是跟存款一样稳，结果一年下来本金还少了两千", MS),
    ("找了大堂经理要见行长，说行长不在，让我回去等通知，一等就是半个月。", CH),
]

OPENERS = ["", "", "今天去网点办业务，", "尊敬的领导：", "客户来电反映：", "吐槽一下，", "我是贵行老客户，",
           "上周六去开户，", "【投诉】", "说实话，"]
CLOSERS = ["", "", "希望改进。", "请尽快处理！", "太失望了😞", "特此反映。", "以后再也不来了。", "。"]
FILLERS = [
    "今天天气不错，顺路去银行看了看", "网点在商场二楼", "我是来给孩子办卡的", "这家支行离我家很近",
    "办的是定期存款业务", "我用的是储蓄卡", "最后业务总算办完了", "我平时很少去柜台",
    "感谢保安大哥帮我指路", "听说下个月要装修", "想问问外汇怎么换", "本人六十多岁",
]


def _compose(n: int, seed: int = 7) -> list[str]:
    """Training corpus: the examples and fillers recombined with openers and closers."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            if rng.random() < 0.2:
                parts.append(rng.choice(FILLERS))
            else:
                parts.append(rng.choice(EXAMPLES)[0].rstrip("。！？"))
        texts.append(rng.choice(OPENERS) + "，".join(parts) + rng.choice(CLOSERS))
    return texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _compose(1500)


@pytest.fixture(scope="module")
def model(corpus) -> ThemeModel:
    return ThemeModel(random_state=0).fit(corpus)


def _micro_f1(pred: list[set], gold: list[set]) -> float:
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    fp = sum(len(p - g) for p, g in zip(pred, gold))
    fn = sum(len(g - p) for p, g in zip(pred, gold))
    return 2 * tp / (2 * tp + fp + fn)


# ---------------------------------------------------------------------------
def test_table_is_large_and_mostly_keyword_free():
    assert len(EXAMPLES) >= 60
    assert sum(kw for _, _, kw in EXAMPLES) >= len(EXAMPLES) / 2
    keys = set(load_taxonomy().keys)
    assert all(g <= keys for _, g, _ in EXAMPLES)
    assert {k for _, g, _ in EXAMPLES for k in g} == keys


def test_micro_f1_on_hand_written_table(model):
    texts = [t for t, _, _ in EXAMPLES]
    gold = [g for _, g, _ in EXAMPLES]
    pred = [set(a) - {"other"} for a in model.assign(texts)]
    f1 = _micro_f1(pred, gold)
    misses = [(t, sorted(g), sorted(p)) for t, g, p in zip(texts, gold, pred) if g != p]
    assert f1 >= 0.8, f"micro-F1 {f1:.3f}; mismatches: {misses}"


def test_keyword_free_micro_f1(model):
    rows = [(t, g) for t, g, kw in EXAMPLES if kw]
    pred = [set(a) - {"other"} for a in model.assign([t for t, _ in rows])]
    assert _micro_f1(pred, [g for _, g in rows]) >= 0.8


@pytest.mark.parametrize("text,key", MUST_RECOGNISE)
def test_keyword_free_description_gets_its_theme(model, text, key):
    assert key in model.assign([text])[0]


@pytest.mark.parametrize("text", ["今天天气很好，下午去公园散步。", "我想咨询一下房贷利率现在是多少",
                                  "感谢小王耐心细致的讲解，服务很周到，点赞！"])
def test_off_topic_text_is_other(model, text):
    assert model.assign([text]) == [["other"]]


def test_predict_outputs_have_theme_columns(model):
    texts = pd.Series(["等了一个多小时", "天气不错", None], index=[10, 20, 30])
    proba = model.predict_proba(texts)
    assert list(proba.columns) == model.keys_ and list(proba.index) == [10, 20, 30]
    assert ((proba >= 0) & (proba <= 1)).all().all()
    pred = model.predict(texts)
    assert set(np.unique(pred.to_numpy())) <= {0, 1}
    assert pred.loc[10, "queuing"] == 1 and pred.loc[20].sum() == 0 and pred.loc[30].sum() == 0
    assert (pred.to_numpy() == (proba.to_numpy() >= model.min_score)).all()


def test_rule_hit_floors_score(model):
    proba = model.predict_proba(["柜员翻了个白眼"])
    assert proba.loc[0, "staff_attitude"] >= model.rule_score


def test_thresholds_are_learned_per_theme(model):
    assert list(model.thresholds_.index) == model.keys_
    assert ((model.thresholds_ > 0) & (model.thresholds_ < 1)).all()


def test_explain_names_the_pattern_that_fired(model):
    ex = model.explain("拿了号前面才两个人，坐了四十分钟")
    q = ex["queuing"]
    assert q["assigned"] and q["rule_hit"] and q["score"] >= 0.5
    assert q["patterns"], q
    assert any("分钟" in p["pattern"] and "四十分钟" in p["match"] for p in q["patterns"])
    assert set(ex) == set(model.keys_)
    assert not ex["fees"]["rule_hit"] and ex["fees"]["patterns"] == []
    assert isinstance(q["top_terms"], list)


def test_explain_reports_seed_terms_and_exclusions(model):
    ex = model.explain("排队不到五分钟就办好了，但柜员态度很差")
    assert ex["staff_attitude"]["rule_hit"]
    assert any(p["match"] == "态度很差" for p in ex["staff_attitude"]["patterns"])
    assert "冷漠" in model.explain("柜员很冷漠")["staff_attitude"]["seed_terms"]
    assert ex["queuing"]["excluded"]


def test_save_load_round_trip_gives_identical_scores(model, tmp_path, corpus):
    model.save(tmp_path / "m")
    # data only: JSON, NumPy arrays and YAML; nothing that unpickles
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"model.json", "arrays.npz", "vocabulary.json",
                                                            "segmenter.json", "taxonomy.yml"}
    back = ThemeModel.load(tmp_path / "m")
    texts = corpus[:200] + [t for t, _, _ in EXAMPLES]
    pd.testing.assert_frame_equal(model.predict_proba(texts), back.predict_proba(texts))
    assert back.model_hash_ == model.model_hash_
    import json

    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert meta["keys"] == model.keys_ and meta["taxonomy_hash"] == model.taxonomy_.hash
    assert set(meta["thresholds"]) == set(model.keys_) and meta["minetools_version"]


def test_load_rejects_tampered_taxonomy(model, tmp_path):
    d = model.save(tmp_path / "m2")
    p = d / "taxonomy.yml"
    p.write_text(p.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(ValueError, match="taxonomy.yml does not match the SHA-256"):
        ThemeModel.load(d)


def test_same_random_state_gives_identical_output(corpus):
    texts = corpus[:400]
    a = ThemeModel(random_state=3).fit(texts)
    b = ThemeModel(random_state=3).fit(texts)
    assert a.model_hash_ == b.model_hash_
    pd.testing.assert_frame_equal(a.predict_proba(corpus[400:600]), b.predict_proba(corpus[400:600]))


def test_unfitted_model_raises_clear_error():
    m = ThemeModel()
    with pytest.raises(NotFittedError, match="not fitted"):
        m.predict(["等了很久"])
    with pytest.raises(NotFittedError):
        m.explain("等了很久")


def test_init_only_stores_parameters():
    m = ThemeModel(min_score=0.6, random_state=5, C=2.0)
    assert m.get_params()["min_score"] == 0.6 and m.get_params()["C"] == 2.0
    assert not [a for a in vars(m) if a.endswith("_")]
    with pytest.raises(ValueError, match="min_score"):
        ThemeModel(min_score=1.5).fit(["等了很久"] * 20)


def test_fit_with_gold_labels(corpus):
    tax = load_taxonomy()
    texts = corpus[:300]
    rules = ThemeModel().rule_matrix(texts)
    labels = rules.copy()
    m = ThemeModel(random_state=0).fit(texts, labels=labels)
    assert m.predict(texts).shape == (300, 12)
    with pytest.raises(ValueError, match="missing theme columns"):
        ThemeModel().fit(texts, labels=labels.drop(columns=[tax.keys[0]]))


def test_char_only_model_when_segmenter_disabled(corpus):
    m = ThemeModel(segmenter=False).fit(corpus[:300])
    assert m.word_vec_ is None
    assert "queuing" in m.assign(["前面就三个人，坐了五十分钟"])[0]


def test_top_terms_finds_distinctive_tokens():
    tokens = [["排队", "等待", "网点"], ["排队", "叫号", "网点"], ["排队", "叫号"],
              ["手续费", "年费", "网点"], ["手续费", "扣款"], ["手续费", "年费", "[银行卡号]"],
              ["，", "a", "[手机号]", "网点"]]
    assigned = [["queuing"], ["queuing"], ["queuing"], ["fees"], ["fees"], ["fees"], ["other"]]
    tt = top_terms(tokens, assigned, n=3)
    assert tt["queuing"][0] == "排队" and "叫号" in tt["queuing"]
    assert tt["fees"][0] == "手续费" and "年费" in tt["fees"]
    flat = [t for v in tt.values() for t in v]
    assert "[银行卡号]" not in flat and "，" not in flat and "a" not in flat
    assert ThemeModel.top_terms is top_terms or ThemeModel.top_terms(tokens, assigned, n=3) == tt


def test_negated_wait_is_not_queuing(model):
    assert "queuing" not in model.assign(["排队不到五分钟就办好了，但柜员态度很差"])[0]


def test_evaluate_assignments_reproduces_hand_computed_scores():
    from minetools.themes import evaluate_assignments, labels_frame

    truth = labels_frame(pd.Series(["queuing|fees", "queuing", "", "counter_arrangement", "other"]),
                         ["queuing", "fees", "counter_arrangement"])
    pred = pd.DataFrame({"queuing": [1, 0, 1, 1, 0], "fees": [1, 0, 0, 0, 0], "counter_arrangement": [0, 0, 0, 0, 0]})
    table, summary = evaluate_assignments(truth, pred)
    q = table.set_index("theme").loc["queuing"]
    assert (q["precision"], q["recall"], q["support"]) == (1 / 3, 0.5, 2)
    assert table.set_index("theme").loc["fees", "f1"] == 1.0
    assert summary["close_pair_confusions"]["counter_arrangement→queuing"] == 1
    assert summary["exact_match"] == 0.4


def test_discovery_finds_topics_that_set_unassigned_complaints_apart():
    """Two planted topics among 'other' complaints are proposed; phrasing shared with the rest is not."""
    from minetools.themes import discover_themes

    rng = np.random.default_rng(0)
    register = ["客户", "反映", "希望", "尽快", "处理", "支行", "办理", "业务"]
    coins = ["硬币", "兑换", "零钱", "存钱罐", "不收", "五角"]
    forex = ["外币", "现钞", "购汇", "出国", "美元", "预约"]
    other = [list(rng.choice(register, 3)) + list(rng.choice(topic, 3)) for topic in [coins] * 60 + [forex] * 50]
    background = [list(rng.choice(register, 4)) + ["排队", "等待"] for _ in range(400)]
    found = discover_themes(other, list(range(len(other))), background=background, random_state=0)
    assert len(found) == 2
    top = [set(t.split()[:4]) for t in found["top_terms"]]
    assert any(t <= set(coins) for t in top) and any(t <= set(forex) for t in top)
    assert not any(set(register) & t for t in top)
    assert sorted(found["n"]) == [50, 60]


def test_discovery_needs_enough_complaints():
    from minetools.themes import discover_themes

    assert discover_themes([["硬币", "兑换"]] * 5, list(range(5))).empty


def _varied_texts():
    from minetools.clean import clean_text
    from minetools.datasets import load_sample

    root = Path(__file__).resolve().parents[2] / "data" / "eval"
    texts = [clean_text(t) for t in load_sample()["text"].dropna()]
    texts += [clean_text(t) for f in ("dev_labeled.csv", "holdout_labeled.csv")
              for t in pd.read_csv(root / f, keep_default_na=False)["text"]]
    return texts + ["", "   ", "ＡＴＭ  机  坏了\n\n两次", "[手机号] 打不通 [姓名] 客服", "a", "排队"]


def test_fast_feature_transform_equals_scikit_learn():
    from minetools.themes import default_model
    from minetools.themes.features import FastTfidf as _FastTfidf, prep_chars as _prep

    model = default_model()
    texts = _varied_texts()
    docs = [_prep(t) for t in texts]
    for kind, vec, data in (("char", model.char_vec_, docs),
                            ("word", model.word_vec_, model.segmenter_.segment(texts))):
        expected = vec.to_sklearn().transform(data)  # the loaded model holds vocabulary and idf only
        assert isinstance(model._fast(kind), _FastTfidf)
        got = model._fast(kind).transform(data)
        assert got.shape == expected.shape and got.nnz == expected.nnz, kind
        assert abs(got - expected).max() == 0, kind


def test_hyperscan_rules_equal_python_rules(monkeypatch):
    import minetools.taxonomy as taxonomy

    tax = taxonomy.load_taxonomy()
    texts = _varied_texts()
    monkeypatch.setattr(taxonomy, "FAST_RULES_MIN_TEXTS", 0)
    fast_r, fast_e = tax.match_matrix(texts)
    assert taxonomy.hyperscan_engine(tax) is not None, "hyperscan engine not available"
    monkeypatch.setattr(taxonomy, "FAST_RULES_MIN_TEXTS", 10**9)
    slow_r, slow_e = tax.match_matrix(texts)
    assert fast_r.sum() > 1000
    assert (fast_r == slow_r).all() and (fast_e == slow_e).all()


def test_parallel_prediction_equals_serial(monkeypatch):
    import minetools.themes as themes
    import minetools.themes.model

    model = themes.default_model()
    texts = _varied_texts()[:6000]
    serial = model.predict_proba(texts)
    monkeypatch.setattr(themes.model, "PARALLEL_MIN_TEXTS", 1000)
    parallel = model.predict_proba(texts)
    pd.testing.assert_frame_equal(serial, parallel)


def test_scores_from_the_pipeline_tokens_equal_scores_from_the_texts():
    from minetools.themes import default_model

    model = default_model()
    texts = ["排队等了一个小时，只开了一个窗口。", "柜员态度很差，把卡扔给我。", "年费没人告诉我就扣了"] * 3
    tokens = model.segmenter_.segment(texts)
    with_tokens = model.predict_proba(texts, tokens=tokens)
    assert with_tokens.equals(model.predict_proba(texts))
    assert model.decide(with_tokens).equals(model.predict(texts))
