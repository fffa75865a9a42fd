"""The committed real photos: every file present, split by series, the split as frozen."""
from __future__ import annotations

from collections import defaultdict

import pytest

from vision.real import VALIDATION_SERIES, read_index, series_of


def test_every_photo_in_the_index_is_committed_and_readable() -> None:
    index = read_index()
    assert len(index) == 237
    assert {p.label for p in index} == {"clean_sand", "clean_gravel"}
    assert all(p.path.is_file() for p in index)


def test_a_series_never_straddles_train_and_validation() -> None:
    splits: dict[str, set[str]] = defaultdict(set)
    for p in read_index():
        splits[p.series].add(p.split)
        assert p.series == series_of(p.label.removeprefix("clean_"), p.path.name)
    assert all(len(s) == 1 for s in splits.values())
    assert {s for s, v in splits.items() if v == {"val"}} == VALIDATION_SERIES


def test_validation_holds_both_labels() -> None:
    val = [p for p in read_index() if p.split == "val"]
    assert sum(p.label == "clean_sand" for p in val) == 59
    assert sum(p.label == "clean_gravel" for p in val) == 12


@pytest.mark.parametrize(
    ("label", "name", "series"),
    [("sand", "0177_cu_2.jpg", "sand:cu"), ("sand", "14091.jpg", "sand:n14"), ("sand", "1409.jpg", "sand:n14"),
     ("sand", "17_1.jpg", "sand:n0"), ("sand", "Kelso_makro_sm.jpg", "sand:makro"),
     ("gravel", "tram4-p2b.jpg", "gravel:tram4"), ("gravel", "cs__12.jpg", "gravel:cs")],
)
def test_series_from_the_file_name(label: str, name: str, series: str) -> None:
    assert series_of(label, name) == series
