from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.config import LABELS, MaterialRule
from vision.judging import Evidence, judge

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


# ---- the card's multi-frame calibration (vision.model_card.GateCalibration) -------------

from vision.classifier import Prediction  # noqa: E402
from vision.model_card import GateCalibration  # noqa: E402
from vision.judging import evidence_of  # noqa: E402

GATE = GateCalibration(pass_confidence={"clean_sand": [0.98, 0.9, 0.85], "clean_gravel": [0.98, 0.8, 0.7]},
                       tile_doubt=0.9)
GRAVEL = MaterialRule(name_zh="碎石", accept=["clean_gravel"], min_confidence=0.6,
                      reject={"clean_sand": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"})


def _pred(label: str, conf: float, *, ood: bool = False) -> Prediction:
    rest = (1.0 - conf) / (len(LABELS) - 1)
    probs = {name: (conf if name == label else rest) for name in LABELS}
    return Prediction(label=label, confidence=conf, probs=probs, uncertain=conf < 0.98 or ood, ood=ood)


def _frame(whole: tuple[str, float], *tiles: tuple[str, float], ood: bool = False) -> list[Prediction]:
    return [_pred(*whole, ood=ood), *(_pred(*t) for t in tiles)]


def test_a_confident_good_load_with_one_weak_tile_passes():
    frames = [_frame(("clean_gravel", 0.95), ("clean_gravel", 0.93), ("foreign", 0.55), ("clean_gravel", 0.9),
                     ("clean_gravel", 0.94))] + [_frame(("clean_gravel", 0.96), *[("clean_gravel", 0.92)] * 4)] * 2
    ev = evidence_of(frames, views=3)
    assert ev.frames_agree and ev.label == "clean_gravel" and ev.views == 3
    assert judge(GRAVEL, ev, 0.98, GATE).verdict == "pass"
    # Without the calibration the same load is judged per image: the weak tile and the mean hold it.
    assert judge(GRAVEL, ev, 0.98).reasons == ["frames_disagree", "low_confidence"]


def test_one_view_is_judged_by_the_per_image_threshold_even_with_the_calibration():
    frames = [_frame(("clean_gravel", 0.95), *[("clean_gravel", 0.95)] * 4)] * 3
    assert judge(GRAVEL, evidence_of(frames, views=1), 0.98, GATE).reasons == ["low_confidence"]
    assert judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE).verdict == "pass"


def test_a_confident_contaminant_tile_of_a_confident_frame_still_rejects():
    frames = [_frame(("clean_gravel", 0.99), ("foreign", 0.99), *[("clean_gravel", 0.99)] * 3)] + \
             [_frame(("clean_gravel", 0.99), *[("clean_gravel", 0.99)] * 4)] * 2
    j = judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE)
    assert (j.verdict, j.reasons) == ("reject", ["foreign_matter"])
    # The same tile in a frame the model is unsure of: a person decides.
    frames[0] = _frame(("clean_gravel", 0.9), ("foreign", 0.99), *[("clean_gravel", 0.95)] * 3)
    j = judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE)
    assert j.verdict == "review" and j.reasons[:2] == ["contamination_unconfirmed", "foreign_matter"]
    # A dissenting tile at or above the calibrated doubt holds the load too.
    frames[0] = _frame(("clean_gravel", 0.95), ("foreign", 0.92), *[("clean_gravel", 0.95)] * 3)
    assert judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE).reasons == ["frames_disagree"]


def test_frames_that_disagree_are_review_whatever_their_confidence():
    frames = [_frame(("clean_gravel", 0.99), *[("clean_gravel", 0.99)] * 4)] * 2 + \
             [_frame(("foreign", 0.6), *[("clean_gravel", 0.9)] * 4)]
    ev = evidence_of(frames, views=3)
    assert not ev.frames_agree
    assert judge(GRAVEL, ev, 0.98, GATE).reasons == ["frames_disagree"]


def test_out_of_distribution_on_any_frame_is_review():
    frames = [_frame(("clean_gravel", 0.99), *[("clean_gravel", 0.99)] * 4)] * 2 + \
             [_frame(("clean_gravel", 0.99), *[("clean_gravel", 0.99)] * 4, ood=True)]
    assert judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE).reasons == ["out_of_distribution"]


@pytest.mark.parametrize("where", ["aggregate", "frame", "tile"])
def test_a_confidence_that_is_not_a_number_is_review(where):
    nan = float("nan")
    frames = (("clean_gravel", nan if where == "frame" else 0.99),)
    tiles = ((0, "clean_gravel", nan if where == "tile" else 0.99),)
    ev = Evidence("clean_gravel", nan if where == "aggregate" else 0.99, frames=frames, tiles=tiles, views=3)
    for gate in (GATE, None):
        assert judge(GRAVEL, ev, 0.98, gate).verdict == "review"


def test_a_reject_label_on_the_aggregate_still_needs_the_per_image_threshold():
    frames = [_frame(("muddy", 0.9), *[("muddy", 0.9)] * 4)] * 3
    j = judge(GRAVEL, evidence_of(frames, views=3), 0.98, GATE)
    assert (j.verdict, j.reasons) == ("review", ["low_confidence", "muddy"])


def test_a_label_the_calibration_does_not_cover_needs_the_per_image_threshold():
    muddy_ok = MaterialRule(name_zh="x", accept=["muddy"], reject={}, min_confidence=0.6)
    frames = [_frame(("muddy", 0.95), *[("muddy", 0.95)] * 4)] * 3
    assert judge(muddy_ok, evidence_of(frames, views=3), 0.98, GATE).reasons == ["low_confidence"]


@given(st.lists(st.lists(st.tuples(st.sampled_from(LABELS), st.floats(0, 1)), min_size=1, max_size=5),
                min_size=1, max_size=5), st.integers(1, 5), st.booleans())
def test_with_the_calibration_pass_still_needs_agreeing_frames_and_no_confident_contaminant(frames, views, ood):
    groups = [[_pred(label, conf) for label, conf in f] for f in frames]
    if ood:
        groups[-1][0] = _pred(groups[-1][0].label, groups[-1][0].confidence, ood=True)
    ev = evidence_of(groups, views)
    j = judge(GRAVEL, ev, 0.98, GATE)
    if j.verdict == "pass":
        assert not ood and ev.label == "clean_gravel" and len({g[0].label for g in groups}) == 1
        assert not any(p.label in GRAVEL.reject and p.confidence >= 0.98 for g in groups for p in g)
        assert ev.confidence >= GATE.pass_threshold("clean_gravel", views, 0.98)
