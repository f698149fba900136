"""The ground truth of the sample generator: the themes, their effect on satisfaction, the branches, channels
and customer types with their volumes and offsets, handling times and the built-in stories.

The effect model is written out in :mod:`minetools.datasets`; these are its numbers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

THEME_KEYS: tuple[str, ...] = (
    "queuing",
    "staff_attitude",
    "operation_error",
    "inconsistent_info",
    "fees",
    "process_complexity",
    "self_service_tech",
    "counter_arrangement",
    "environment",
    "hotline",
    "mis_selling",
    "complaint_handling",
)

THEME_LABELS_ZH: dict[str, str] = {
    "queuing": "排队等候",
    "staff_attitude": "服务态度",
    "operation_error": "业务差错",
    "inconsistent_info": "口径不一",
    "fees": "收费问题",
    "process_complexity": "手续繁琐",
    "self_service_tech": "自助与电子渠道",
    "counter_arrangement": "窗口设置",
    "environment": "网点环境",
    "hotline": "客服热线",
    "mis_selling": "营销误导",
    "complaint_handling": "投诉处理",
}

#: The "obvious" words of each theme.  Roughly half of the phrase templates of
#: every theme contain one of them; the other half describe the problem

#: Baseline of the latent 1-5 satisfaction score (no theme, reference levels).
BASELINE: float = 4.3
#: Standard deviation of the Normal noise added to the latent score.
NOISE_SD: float = 0.6

#: Per-theme effect on the latent satisfaction score (all negative).
TRUE_EFFECTS: dict[str, float] = {
    "queuing": -0.35,
    "staff_attitude": -1.05,
    "operation_error": -1.30,
    "inconsistent_info": -0.75,
    "fees": -0.65,
    "process_complexity": -0.45,
    "self_service_tech": -0.15,
    "counter_arrangement": -0.55,
    "environment": -0.25,
    "hotline": -0.85,
    "mis_selling": -0.95,
    "complaint_handling": -1.15,
}

#: Relative drawing weight of each theme (prevalence; NOT ordered like effects).
THEME_WEIGHTS: dict[str, float] = {
    "queuing": 0.20,
    "staff_attitude": 0.13,
    "operation_error": 0.07,
    "inconsistent_info": 0.09,
    "fees": 0.08,
    "process_complexity": 0.10,
    "self_service_tech": 0.09,
    "counter_arrangement": 0.06,
    "environment": 0.04,
    "hotline": 0.06,
    "mis_selling": 0.05,
    "complaint_handling": 0.03,
}

#: Co-occurrence affinities (multiplier on the weight of a second/third theme).
AFFINITY: dict[tuple[str, str], float] = {
    ("queuing", "counter_arrangement"): 3.0,
    ("queuing", "environment"): 2.0,
    ("queuing", "staff_attitude"): 1.5,
    ("staff_attitude", "complaint_handling"): 3.0,
    ("operation_error", "complaint_handling"): 2.5,
    ("operation_error", "staff_attitude"): 1.5,
    ("inconsistent_info", "process_complexity"): 3.0,
    ("fees", "mis_selling"): 3.0,
    ("fees", "inconsistent_info"): 1.5,
    ("hotline", "complaint_handling"): 2.5,
    ("hotline", "self_service_tech"): 2.0,
    ("mis_selling", "complaint_handling"): 1.5,
}

#: Branches with relative complaint volume and satisfaction offset.
BRANCHES: dict[str, float] = {
    "城东支行": 0.17,
    "城西支行": 0.14,
    "高新区支行": 0.16,
    "开发区支行": 0.11,
    "江北支行": 0.10,
    "老城区支行": 0.12,
    "滨江支行": 0.09,
    "大学城支行": 0.06,
    "营业部": 0.05,
}
BRANCH_EFFECTS: dict[str, float] = {
    "城东支行": -0.10,
    "城西支行": 0.00,
    "高新区支行": 0.10,
    "开发区支行": -0.05,
    "江北支行": 0.05,
    "老城区支行": -0.15,
    "滨江支行": 0.08,
    "大学城支行": 0.00,
    "营业部": 0.12,
}

CHANNELS: dict[str, float] = {
    "网点": 0.40,
    "电话": 0.25,
    "手机银行": 0.15,
    "网上银行": 0.08,
    "信函": 0.05,
    "微博": 0.07,
}
CHANNEL_EFFECTS: dict[str, float] = {
    "网点": 0.00,
    "电话": -0.05,
    "手机银行": 0.05,
    "网上银行": 0.05,
    "信函": -0.20,
    "微博": -0.30,
}

CUSTOMER_TYPES: dict[str, float] = {"个人": 0.72, "对公": 0.16, "VIP": 0.12}
CUSTOMER_TYPE_EFFECTS: dict[str, float] = {"个人": 0.00, "对公": -0.10, "VIP": -0.20}

#: Service target for handling a complaint (hours); slower handling is penalised.
HANDLING_TARGET_HOURS: float = 48.0
#: Satisfaction penalty per day of handling beyond the target.
HANDLING_PENALTY_PER_DAY: float = 0.10
#: Median handling time (hours) by channel; log-normal with sigma 1, capped at 240 h.
HANDLING_MEDIAN_HOURS: dict[str, float] = {
    "网点": 16.0, "电话": 20.0, "手机银行": 22.0, "网上银行": 24.0, "信函": 80.0, "微博": 6.0,
}
HANDLING_SIGMA = 1.0
HANDLING_MAX_HOURS = 240.0

#: Share of rows with the survey not answered (satisfaction missing).
MISSING_RATE = 0.03
NO_THEME_RATE = 0.05
TRADITIONAL_RATE = 0.085
PII_RATE = 0.10
RESUBMISSION_RATE = 0.03
GARBAGE_RATE = 0.003
THEME_COUNT_PROBS = (0.60, 0.30, 0.10)  # number of themes: 1, 2, 3

# Stories
STORY_BRANCH = "城东支行"
STORY_BRANCH_FROM = 14  # month index of 2024-03
STORY_FEE_MONTH = 18  # 2024-07
STORY_APP_MONTH = 10  # 2023-11

COLUMNS: tuple[str, ...] = (
    "id", "text", "satisfaction", "date", "branch", "channel", "customer_type",
    "received_at", "closed_at", "true_themes",
)

BANK_NAME = "某某银行"
SAMPLE_PATH: Path = Path(__file__).resolve().parents[3] / "data" / "sample" / "complaints.csv"

FIRST_DAY = date(2023, 1, 1)
N_MONTHS = 24
