"""A material rule's grading limits in the one judge: the grading decides sand or gravel, the
classifier still decides mud, foreign matter and not-a-sample; no grading never passes."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.config import ConfigError, MaterialRule, load_config
from vision.grading import Grading
from vision.judging import Evidence, judge

REJECT_SAND = {"clean_gravel": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"}
REJECT_GRAVEL = {"clean_sand": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"}
SAND = MaterialRule(name_zh="砂", accept=["clean_sand"], reject=REJECT_SAND, max_d50_mm=2.5,
                    max_share_above={"size_mm": 4.75, "share": 0.10})
GRAVEL = MaterialRule(name_zh="碎石", accept=["clean_gravel"], reject=REJECT_GRAVEL, min_d50_mm=5.0)
NO_LIMITS = MaterialRule(name_zh="砂", accept=["clean_sand"], reject=REJECT_SAND)


def graded(d10: float, d50: float, d90: float) -> Grading:
    return Grading(d10_px=d10, d50_px=d50, d90_px=d90, d10_mm=d10, d50_mm=d50, d90_mm=d90)


FINE = graded(0.3, 0.8, 2.0)      # concrete sand
COARSE_SAND = graded(1.0, 2.0, 6.0)  # D50 in range, but 30 % above 4.75 mm
GRAVEL_SIZED = graded(6.0, 12.0, 20.0)


def ev(label: str, grading: Grading | None, **kw) -> Evidence:
    return Evidence(label, 0.95, frames=((label, 0.95),), grading=grading, **kw)


@pytest.mark.parametrize("rule,label,grading,verdict,reasons", [
    # Sand looks like gravel close up: the grading says sand, so it passes.
    (SAND, "clean_gravel", FINE, "pass", []),
    (SAND, "clean_sand", FINE, "pass", []),
    # A gravel-sized D50 on a sand order is the wrong material, whatever it looks like.
    (SAND, "clean_sand", GRAVEL_SIZED, "reject", ["wrong_material", "d50_above_max", "oversize_share"]),
    (SAND, "clean_sand", COARSE_SAND, "reject", ["oversize_share"]),
    # Sand on a gravel order.
    (GRAVEL, "clean_gravel", FINE, "reject", ["wrong_material", "d50_below_min"]),
    (GRAVEL, "clean_sand", GRAVEL_SIZED, "pass", []),
    # Mud and foreign matter stay the classifier's.
    (SAND, "muddy", FINE, "reject", ["muddy"]),
    (GRAVEL, "foreign", GRAVEL_SIZED, "reject", ["foreign_matter"]),
    (SAND, "empty", FINE, "review", ["label_not_judgeable:empty"]),
])
def test_grading_limits(rule, label, grading, verdict, reasons):
    j = judge(rule, ev(label, grading))
    assert (j.verdict, j.reasons) == (verdict, reasons)


def test_without_a_grading_a_rule_with_limits_never_passes():
    assert judge(SAND, ev("clean_sand", None)).reasons == ["grading_not_measured"]
    unscaled = Grading(d10_px=1.0, d50_px=2.0, d90_px=3.0)  # no camera calibration: px only
    assert judge(GRAVEL, ev("clean_gravel", unscaled)).reasons == ["grading_not_measured"]
    # The look alone condemns nothing it could not before: a gravel look on sand, ungraded, is held.
    j = judge(SAND, Evidence("clean_gravel", 0.95, grading=None))
    assert (j.verdict, j.reasons) == ("review", ["grading_not_measured", "wrong_material"])


def test_out_of_distribution_and_faults_stay_review_whatever_the_grading():
    assert judge(SAND, ev("clean_sand", FINE, ood=True)).reasons == ["out_of_distribution"]
    assert judge(SAND, ev("clean_sand", GRAVEL_SIZED, ood=True)).verdict == "review"
    assert judge(SAND, ev("clean_sand", FINE, faults=("camera:timeout",))).reasons == ["camera:timeout"]


def test_grading_does_not_lift_low_confidence_or_dissent():
    assert judge(SAND, Evidence("clean_gravel", 0.5, grading=FINE)).reasons == ["low_confidence"]
    mixed = Evidence("clean_sand", 0.95, frames=(("clean_sand", 0.95), ("muddy", 0.6)), frames_agree=False,
                     grading=FINE)
    assert judge(SAND, mixed).verdict == "review"
    # Frames that differ only in size labels agree once the grading decides the size.
    sizes = Evidence("clean_sand", 0.95, frames=(("clean_sand", 0.95), ("clean_gravel", 0.9)), frames_agree=False,
                     tiles=((0, "clean_gravel", 0.9),), grading=FINE)
    assert judge(SAND, sizes).verdict == "pass"


def test_a_rule_without_grading_limits_judges_as_before():
    assert judge(NO_LIMITS, ev("clean_gravel", FINE)).reasons == ["wrong_material"]
    assert judge(NO_LIMITS, ev("clean_sand", None)).verdict == "pass"


@given(d10=st.floats(0.01, 50), r1=st.floats(1, 10), r2=st.floats(1, 10),
       label=st.sampled_from(["clean_sand", "clean_gravel", "muddy", "foreign", "empty"]),
       confidence=st.floats(0, 1), ood=st.booleans(), graded_at_all=st.booleans())
def test_pass_only_within_every_limit_and_never_ood(d10, r1, r2, label, confidence, ood, graded_at_all):
    g = graded(d10, d10 * r1, d10 * r1 * r2) if graded_at_all else None
    j = judge(SAND, Evidence(label, confidence, frames=((label, confidence),), ood=ood, grading=g))
    if j.verdict == "pass":
        assert g is not None and not ood and label in ("clean_sand", "clean_gravel")
        assert g.d50_mm <= 2.5 and g.share_above(4.75) <= 0.10


def test_config_names_the_bad_grading_field(tmp_path):
    path = tmp_path / "gate.toml"
    text = (load_demo_text() + '\n[materials.fine]\nname_zh = "细砂"\naccept = ["clean_sand"]\nreject = {}\n'
            'max_d50_mm = 1.0\nmin_d50_mm = 2.0\n')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"materials\.fine.*min_d50_mm \(2\.0\) must be below max_d50_mm"):
        load_config(path)
    path.write_text(load_demo_text() + '\n[materials.fine]\nname_zh = "细砂"\naccept = ["clean_sand"]\nreject = {}\n'
                    'max_share_above = { size_mm = 4.75, share = 1.5 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"materials\.fine\.max_share_above\.share"):
        load_config(path)
    path.write_text(load_demo_text() + '\n[materials.fine]\nname_zh = "细砂"\naccept = ["clean_sand"]\nreject = {}\n'
                    'max_d50_mm = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"materials\.fine\.max_d50_mm"):
        load_config(path)


def load_demo_text() -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return (root / "intake/demo/demo.toml").read_text(encoding="utf-8")
