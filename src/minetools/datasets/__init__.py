"""Synthetic, realistic Chinese bank customer-complaint corpus.

:func:`make_complaints` builds a reproducible corpus of complaint narratives
with known ground truth (``true_themes``) and a satisfaction score generated
from a documented additive effect model, so that every stage of the toolkit
(cleaning, theme detection, topic discovery, driver analysis) can be tested
against a known answer.

Effect model (per row)::

    latent = BASELINE
             + sum(TRUE_EFFECTS[t] for t in true_themes)
             + BRANCH_EFFECTS[branch]
             + CHANNEL_EFFECTS[channel]
             + CUSTOMER_TYPE_EFFECTS[customer_type]
             - HANDLING_PENALTY_PER_DAY * max(0, hours - HANDLING_TARGET_HOURS) / 24
             + Normal(0, NOISE_SD)
    satisfaction = clip(round(latent), 1, 5)   (missing for ~3% of rows)

Built-in stories (see ``data/sample/README.md``):

* 城东支行 closes counters from 2024-03: more queuing / counter_arrangement
  complaints and more volume there afterwards.
* A new small-account management fee / SMS fee in 2024-07: ``fees`` spike.
* A mobile-banking app upgrade in 2023-11: ``self_service_tech`` spike.

All personal data (phone, card and ID numbers) is random and fictitious; card
numbers merely pass the Luhn check and ID numbers the ISO 7064 MOD 11-2 check.

The package: ``effects`` (the numbers of the model above), ``phrases.yml`` (the
sentence templates, written for this generator), ``texts`` (assembling them in
the register of each channel), ``identifiers`` (fictitious numbers) and
``generate`` (the rows).  The generator is for demos and scale tests; accuracy
is never measured on its output.
"""

from minetools.datasets.effects import (BANK_NAME, BASELINE, BRANCH_EFFECTS, BRANCHES, CHANNEL_EFFECTS, CHANNELS,
                                        COLUMNS, CUSTOMER_TYPE_EFFECTS, CUSTOMER_TYPES, HANDLING_PENALTY_PER_DAY,
                                        HANDLING_TARGET_HOURS, NOISE_SD, SAMPLE_PATH, THEME_KEYS, THEME_LABELS_ZH,
                                        TRUE_EFFECTS)
from minetools.datasets.generate import load_sample, make_complaints, write_sample
from minetools.datasets.identifiers import id_checksum_valid, luhn_valid
from minetools.datasets.texts import (GARBAGE_TEXTS, OTHER_TOPICS, PHRASES, RESUBMISSION_PREFIXES,
                                      RESUBMISSION_SUFFIXES, SHORT_PHRASES, THEME_KEYWORDS)

__all__ = [
    "THEME_KEYS",
    "THEME_LABELS_ZH",
    "THEME_KEYWORDS",
    "PHRASES",
    "SHORT_PHRASES",
    "OTHER_TOPICS",
    "GARBAGE_TEXTS",
    "RESUBMISSION_PREFIXES",
    "RESUBMISSION_SUFFIXES",
    "TRUE_EFFECTS",
    "BASELINE",
    "NOISE_SD",
    "BRANCHES",
    "BRANCH_EFFECTS",
    "CHANNELS",
    "CHANNEL_EFFECTS",
    "CUSTOMER_TYPES",
    "CUSTOMER_TYPE_EFFECTS",
    "HANDLING_TARGET_HOURS",
    "HANDLING_PENALTY_PER_DAY",
    "COLUMNS",
    "BANK_NAME",
    "SAMPLE_PATH",
    "make_complaints",
    "load_sample",
    "write_sample",
    "luhn_valid",
    "id_checksum_valid",
]
