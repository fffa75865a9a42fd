from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.config import LABELS, MaterialRule
from intake.rules import Evidence, judge

SAND = MaterialRule(name_zh="砂", accept=["clean_sand"], min_confidence=0.7,
                    reject={"clean_gravel": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"})


@pytest.mark.parametrize("label,verdict,reasons", [
    ("clean_sand", "pass", []),
    ("clean_gravel", "reject", ["wrong_material"]),
    ("muddy", "reject", ["muddy"]),
    ("foreign", "reject", ["foreign_matter"]),
    ("empty", "review", ["label_not_judgeable:empty"]),
])
def test_confident_labels(label, verdict, reasons):
    j = judge(SAND, Evidence(label, 0.95))
    assert (j.verdict, j.reasons) == (verdict, reasons)


def test_low_confidence_or_disagreement_is_review_even_for_an_accepted_label():
    assert judge(SAND, Evidence("clean_sand", 0.5)).reasons == ["low_confidence"]
    assert judge(SAND, Evidence("clean_sand", 0.99, frames_agree=False)).verdict == "review"
    assert judge(SAND, Evidence("muddy", 0.5)).reasons == ["low_confidence", "muddy"]


def test_model_abstention_threshold_overrides_a_laxer_rule():
    assert judge(SAND, Evidence("clean_sand", 0.8), abstain_below=0.85).verdict == "review"


def test_faults_unknown_material_and_no_label_are_review():
    assert judge(SAND, Evidence("clean_sand", 0.99, faults=("camera:timeout",))).reasons == ["camera:timeout"]
    assert judge(None, Evidence("clean_sand", 0.99)).reasons == ["unknown_material"]
    assert judge(SAND, Evidence(None, 0.0)).reasons == ["no_classification"]


def test_unknown_label_in_rule_is_a_config_error():
    with pytest.raises(ValueError, match="unknown label 'gold'"):
        MaterialRule(name_zh="x", accept=["gold"], reject={})


@given(label=st.one_of(st.sampled_from(LABELS), st.none(), st.text(max_size=5)),
       confidence=st.floats(0, 1), agree=st.booleans(),
       faults=st.lists(st.text(min_size=1, max_size=8), max_size=2))
def test_pass_only_for_a_clean_confident_agreed_accepted_label(label, confidence, agree, faults):
    j = judge(SAND, Evidence(label, confidence, agree, tuple(faults)))
    if j.verdict == "pass":
        assert label == "clean_sand" and confidence >= 0.7 and agree and not faults


def test_one_confident_contaminated_frame_rejects_the_load():
    ev = Evidence("clean_sand", 0.9, frames_agree=False,
                  frames=(("clean_sand", 0.95), ("foreign", 0.92), ("clean_sand", 0.9)))
    assert judge(SAND, ev).verdict == "reject" and judge(SAND, ev).reasons == ["foreign_matter"]
    unsure = Evidence("clean_sand", 0.9, frames_agree=False, frames=(("clean_sand", 0.95), ("foreign", 0.5)))
    assert judge(SAND, unsure).verdict == "review"


def test_an_out_of_distribution_frame_is_review_even_when_confidently_clean():
    assert judge(SAND, Evidence("clean_sand", 0.99, ood=True)).reasons == ["out_of_distribution"]
