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


# ---- particle limits (vision.particles measurements) ------------------------------------

from vision.particles import Measurements, not_measured  # noqa: E402

LIMITED = SAND.model_copy(update={"max_particle_mm": 9.5, "max_elongated_share": 0.2})


def _measured(largest=None, median=None, share=None, floor=2.0, clump=None, count=0) -> Measurements:
    return Measurements(measured=True, mm_per_px=0.5, count=count, largest_mm=largest, median_mm=median,
                        elongated_share=share, floor_mm=floor, largest_clump_mm=clump)


@pytest.mark.parametrize("particles,verdict,reasons", [
    (_measured(8.0, 4.0, 0.1, count=30), "pass", []),
    (_measured(12.0, 4.0, 0.1, count=30), "reject", ["oversize_particles"]),
    (_measured(8.0, 4.0, 0.5, count=30), "reject", ["elongated_particles"]),
    (_measured(12.0, 4.0, 0.5, count=30), "reject", ["oversize_particles", "elongated_particles"]),
    (_measured(None, None, None), "review", ["particles_not_measured"]),           # no share: too few grains
    (None, "review", ["particles_not_measured"]),                                   # no calibrated camera
    (not_measured("heap", 0.5), "review", ["particles_not_measured"]),
])
def test_particle_limits(particles, verdict, reasons):
    j = judge(LIMITED, Evidence("clean_sand", 0.95, particles=particles))
    assert (j.verdict, j.reasons) == (verdict, reasons)


def test_no_grain_seen_is_only_fine_when_the_camera_could_have_seen_one_over_the_limit():
    only_size = SAND.model_copy(update={"max_particle_mm": 9.5})
    assert judge(only_size, Evidence("clean_sand", 0.95, particles=_measured(floor=2.0))).verdict == "pass"
    coarse = judge(only_size, Evidence("clean_sand", 0.95, particles=_measured(floor=12.0)))
    assert (coarse.verdict, coarse.reasons) == ("review", ["particles_not_measured"])
    # An unsplit clump wider than the limit may hide an oversize grain.
    clumped = judge(only_size, Evidence("clean_sand", 0.95, particles=_measured(6.0, clump=14.0)))
    assert (clumped.verdict, clumped.reasons) == ("review", ["particles_not_measured"])


def test_a_rule_without_particle_limits_ignores_measurements():
    assert judge(SAND, Evidence("clean_sand", 0.95, particles=_measured(50.0, 20.0, 0.9))).verdict == "pass"
    assert judge(SAND, Evidence("clean_sand", 0.95, particles=None)).verdict == "pass"


def test_a_contaminated_label_and_oversize_grains_are_both_named():
    j = judge(LIMITED, Evidence("muddy", 0.95, frames=(("muddy", 0.95),), particles=_measured(12.0, 4.0, 0.1)))
    assert (j.verdict, j.reasons) == ("reject", ["muddy", "oversize_particles"])


def test_faults_and_out_of_distribution_come_before_any_measurement():
    big = _measured(30.0, 4.0, 0.1)
    assert judge(LIMITED, Evidence("clean_sand", 0.95, faults=("camera:timeout",), particles=big)).verdict == "review"
    assert judge(LIMITED, Evidence("clean_sand", 0.95, ood=True, particles=big)).reasons == ["out_of_distribution"]


def test_particle_limits_are_validated():
    with pytest.raises(ValueError):
        SAND.model_validate({**SAND.model_dump(), "max_particle_mm": 0})
    with pytest.raises(ValueError):
        SAND.model_validate({**SAND.model_dump(), "max_elongated_share": 1.5})


_opt = st.one_of(st.none(), st.floats(0, 60, allow_nan=False))


@given(label=st.sampled_from(LABELS), confidence=st.floats(0, 1), measured=st.booleans(),
       largest=_opt, share=st.one_of(st.none(), st.floats(0, 1)), floor=_opt, clump=_opt,
       limit=st.one_of(st.none(), st.floats(0.5, 40)), share_limit=st.one_of(st.none(), st.floats(0, 1)),
       missing=st.booleans())
def test_pass_never_rests_on_a_missing_or_exceeded_particle_figure(label, confidence, measured, largest, share,
                                                                   floor, clump, limit, share_limit, missing):
    rule = SAND.model_copy(update={"max_particle_mm": limit, "max_elongated_share": share_limit})
    m = None if missing else Measurements(measured=measured, largest_mm=largest, elongated_share=share,
                                          floor_mm=floor, largest_clump_mm=clump)
    j = judge(rule, Evidence(label, confidence, particles=m))
    if j.verdict == "pass":
        assert label == "clean_sand" and confidence >= 0.7
        if limit is not None:
            assert m is not None and m.measured and floor is not None and floor <= limit
            assert (largest is None or largest <= limit) and (clump is None or clump <= limit)
        if share_limit is not None:
            assert m is not None and m.measured and share is not None and share <= share_limit
    if limit is not None and m is not None and m.measured and largest is not None and largest > limit:
        assert j.verdict == "reject" and "oversize_particles" in j.reasons


def test_a_tile_condemns_the_load_only_when_its_whole_frame_is_a_confident_view():
    sure = Evidence("clean_sand", 0.9, frames_agree=False, frames=(("clean_sand", 0.97), ("clean_sand", 0.96)),
                    tiles=((1, "foreign", 0.95), (1, "clean_sand", 0.9)))
    assert (judge(SAND, sure).verdict, judge(SAND, sure).reasons) == ("reject", ["foreign_matter"])
    unsure = Evidence("clean_sand", 0.6, frames_agree=False, frames=(("clean_sand", 0.97), ("clean_sand", 0.5)),
                      tiles=((1, "foreign", 0.95),))
    j = judge(SAND, unsure)
    assert j.verdict == "review" and j.reasons[:2] == ["contamination_unconfirmed", "foreign_matter"]
    # Agreeing, confident frames and tiles of clean sand still pass.
    clean = Evidence("clean_sand", 0.97, frames=(("clean_sand", 0.97),), tiles=((0, "clean_sand", 0.96),))
    assert judge(SAND, clean).verdict == "pass"


@given(st.lists(st.tuples(st.sampled_from(LABELS), st.floats(0, 1)), min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 2), st.sampled_from(LABELS), st.floats(0, 1)), max_size=8))
def test_a_confident_bad_tile_never_lets_the_load_pass(frames, tiles):
    bad_tile = any(label in SAND.reject and conf >= 0.7 for _, label, conf in tiles)
    ev = Evidence("clean_sand", 0.99, frames=tuple(frames), tiles=tuple(tiles))
    if bad_tile:
        assert judge(SAND, ev).verdict != "pass"
