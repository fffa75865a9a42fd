"""Photo retention: which loads' photos go (the pure rule), and pruning a real store's files
with chained records of what was removed."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli.main import app as cli
from intake.config import RetentionConfig
from intake.demo.runner import DEMO_CONFIG
from intake.lab.results import LabResult
from intake.store import reviews
from intake.store.audit import verify
from intake.store.retention import FrameRemoval, Settled, prune_frames, removal_of, rule_for
from intake.store.tables import Frame
from tests.intake.web.review_seed import AUDIT_KEY, Seeded, add_item, day, make_engine, plates, seed_master

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
POLICY = RetentionConfig(min_free_gb=0)   # pass 90 days, reject 365, labelled kept; by age only


# ---- the rule ----------------------------------------------------------------------------

@pytest.mark.parametrize("verdict, age_days, labelled, policy, expected", [
    ("pass", 90, False, POLICY, "pass older than 90 days"),
    ("pass", 89.9, False, POLICY, None),
    ("reject", 364, False, POLICY, None),
    ("reject", 365, False, POLICY, "reject older than 365 days"),
    ("review", 5000, False, POLICY, None),                  # waits for a person, however old
    ("pass", 5000, True, POLICY, None),                     # labelled data is kept by default
    ("reject", 30, True, RetentionConfig(labelled_days=30, min_free_gb=0), "labelled older than 30 days"),
    ("pass", 29, True, RetentionConfig(labelled_days=30, min_free_gb=0), None),
])
def test_rule(verdict: str, age_days: float, labelled: bool, policy: RetentionConfig, expected: str | None) -> None:
    load = Settled("v", verdict, NOW - timedelta(days=age_days), labelled)
    assert rule_for(load, policy, NOW) == expected


def test_a_naive_timestamp_from_the_database_is_read_as_utc() -> None:
    load = Settled("v", "pass", (NOW - timedelta(days=91)).replace(tzinfo=None), False)
    assert rule_for(load, POLICY, NOW) == "pass older than 90 days"


@given(verdict=st.sampled_from(["pass", "reject", "review", "other"]), age=st.floats(0, 4000),
       labelled=st.booleans(), pass_days=st.integers(1, 1000), reject_days=st.integers(1, 1000),
       labelled_days=st.none() | st.integers(1, 1000))
def test_only_settled_loads_past_their_age_ever_go(verdict: str, age: float, labelled: bool, pass_days: int,
                                                   reject_days: int, labelled_days: int | None) -> None:
    policy = RetentionConfig(pass_days=pass_days, reject_days=reject_days, labelled_days=labelled_days)
    rule = rule_for(Settled("v", verdict, NOW - timedelta(days=age), labelled), policy, NOW)
    if labelled:
        days = labelled_days
    else:
        days = {"pass": pass_days, "reject": reject_days}.get(verdict)
    due = verdict in ("pass", "reject") and days is not None and age >= days
    assert (rule is not None) == due


# ---- pruning a real store ----------------------------------------------------------------

@pytest.fixture
def store(tmp_path: Path):
    engine = make_engine(tmp_path / "gate.db")
    seed_master(engine)
    return engine, tmp_path / "data"


def frame_files(engine, data_dir: Path, item: Seeded) -> list[Path]:
    with Session(engine) as session:
        rows = session.exec(select(Frame).where(Frame.inspection_id == item.inspection)).all()
    return [data_dir / r.path for r in rows]


def seed(engine, data_dir: Path, ages: dict[str, tuple[str | None, float]], labelled: str | None = None) -> dict[str, Seeded]:
    """Loads by name: (gate verdict, age in days of the decision). `labelled`: the one a reviewer
    then decides PASS (labelled data). Gravel for the REVIEW loads, sand for the others."""
    sand, gravel = plates()
    label = {"pass": "clean_sand", "reject": "muddy", "review": "clean_gravel"}
    loads = {}
    for name, (verdict, days) in ages.items():
        frames = 3 if name == "ancient_reject" else 2
        loads[name] = add_item(engine, data_dir, plate=gravel if verdict == "review" else sand, verdict=verdict,
                               label=label[str(verdict)], reasons=[] if verdict == "pass" else [label[str(verdict)]],
                               at=NOW - timedelta(days=days, seconds=30), frames=frames)   # decided 30 s later
    if labelled is not None:
        reviews.record_review(engine, reviews.ReviewRequest(
            visit_id=loads[labelled].visit, seen_decision_id=loads[labelled].decision, reviewer_id=1,
            reviewer="rev", new_verdict="pass", label="clean_gravel", reason="clean on the photos"))
    return loads


def seed_loads(engine, data_dir: Path) -> dict[str, Seeded]:
    return seed(engine, data_dir, {"old_pass": ("pass", 100), "young_pass": ("pass", 10), "old_reject": ("reject", 100),
                                   "ancient_reject": ("reject", 400), "old_review": ("review", 400),
                                   "reviewed": ("review", 400)}, labelled="reviewed")


def test_prune_removes_only_what_is_due_and_records_it_in_the_chain(store) -> None:
    engine, data_dir = store
    loads = seed_loads(engine, data_dir)
    totals = prune_frames(engine, data_dir, POLICY, now=NOW)
    assert [(t.rule, t.loads, t.files, t.failed) for t in totals] == [
        ("pass older than 90 days", 1, 2, 0), ("reject older than 365 days", 1, 3, 0)]
    assert all(t.bytes > 0 for t in totals)
    for name, item in loads.items():
        gone = name in ("old_pass", "ancient_reject")
        assert all(p.exists() != gone for p in frame_files(engine, data_dir, item)), name
        assert (removal_of(engine, item.visit) is not None) == gone, name
    assert not (data_dir / "frames" / loads["old_pass"].visit).exists()   # its emptied folder too
    removal = removal_of(engine, loads["ancient_reject"].visit)
    assert removal is not None and (removal.verdict, removal.files) == ("reject", 3)
    assert verify(engine, AUDIT_KEY).ok
    # The Frame records stay: what was photographed, and the photo's hash.
    assert len(frame_files(engine, data_dir, loads["old_pass"])) == 2
    assert prune_frames(engine, data_dir, POLICY, now=NOW) == []            # a second run finds nothing


def test_dry_run_counts_the_same_and_deletes_nothing(store) -> None:
    engine, data_dir = store
    loads = seed_loads(engine, data_dir)
    dry = prune_frames(engine, data_dir, POLICY, now=NOW, dry_run=True)
    assert all(p.exists() for item in loads.values() for p in frame_files(engine, data_dir, item))
    with Session(engine) as session:
        assert session.exec(select(FrameRemoval)).all() == []
    assert dry == prune_frames(engine, data_dir, POLICY, now=NOW)


def test_lab_tested_loads_are_labelled_data_and_kept(store) -> None:
    engine, data_dir = store
    sand, _ = plates()
    item = add_item(engine, data_dir, plate=sand, verdict="pass", label="clean_sand", reasons=[],
                    at=NOW - timedelta(days=200))
    with Session(engine) as session:
        session.add(LabResult(blind_code=12_345_678, property="silt_pct", value="1.2", unit="%", lab="plant lab"))
        session.commit()
    assert prune_frames(engine, data_dir, POLICY, now=NOW) == []
    assert [t.rule for t in prune_frames(engine, data_dir, RetentionConfig(labelled_days=180, min_free_gb=0), now=NOW)] == [
        "labelled older than 180 days"]
    assert not any(p.exists() for p in frame_files(engine, data_dir, item))


def test_a_file_that_cannot_be_deleted_leaves_the_load_for_the_next_run(store) -> None:
    engine, data_dir = store
    sand, _ = plates()
    item = add_item(engine, data_dir, plate=sand, verdict="pass", label="clean_sand", reasons=[],
                    at=NOW - timedelta(days=100))
    stuck = frame_files(engine, data_dir, item)[0]
    stuck.unlink()
    stuck.mkdir()                              # unlink() refuses a directory: a stand-in for EPERM/EIO
    [total] = prune_frames(engine, data_dir, POLICY, now=NOW)
    assert (total.loads, total.files, total.failed) == (1, 1, 1)
    assert removal_of(engine, item.visit) is None
    stuck.rmdir()
    [again] = prune_frames(engine, data_dir, POLICY, now=NOW)
    assert (again.files, again.failed) == (0, 0) and removal_of(engine, item.visit) is not None


def used_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def seed_young_loads(engine, data_dir: Path) -> dict[str, Seeded]:
    """Nothing due by age: PASS loads 50 and 20 days old, a reject, a review, and a labelled
    PASS load older than all of them."""
    return seed(engine, data_dir, {"labelled": ("review", 80), "pass_50": ("pass", 50), "pass_20": ("pass", 20),
                                   "reject": ("reject", 60), "review": ("review", 70)}, labelled="labelled")


@pytest.mark.parametrize("short_by, gone", [(1, {"pass_50"}), (10**9, {"pass_50", "pass_20"})])
def test_a_short_disk_takes_pass_photos_oldest_first_and_nothing_else(store, short_by: int, gone: set[str]) -> None:
    engine, data_dir = store
    loads = seed_young_loads(engine, data_dir)
    policy = RetentionConfig(min_free_gb=0.001)
    wanted = int(policy.min_free_gb * 1e9)
    # A small disk whose free space is what the photos leave: `short_by` bytes short at the start.
    capacity = used_bytes(data_dir) + wanted - short_by
    free = lambda _folder: capacity - used_bytes(data_dir)   # noqa: E731
    assert prune_frames(engine, data_dir, policy, now=NOW, dry_run=True, free_bytes=free) == []
    [total] = prune_frames(engine, data_dir, policy, now=NOW, free_bytes=free)
    assert (total.rule, total.loads, total.files) == ("pass, disk below 0.001 GB free", len(gone), 2 * len(gone))
    for name, item in loads.items():
        assert all(p.exists() != (name in gone) for p in frame_files(engine, data_dir, item)), name
    assert verify(engine, AUDIT_KEY).ok
    roomy = lambda _folder: 10 * wanted   # noqa: E731
    assert prune_frames(engine, data_dir, policy, now=NOW, free_bytes=roomy) == []


def test_cli_prunes_with_the_site_config_and_prints_a_table(store, tmp_path: Path, monkeypatch) -> None:
    engine, data_dir = store
    seed_loads(engine, data_dir)
    (tmp_path / "audit.key").write_bytes(AUDIT_KEY)
    demo = DEMO_CONFIG.read_text(encoding="utf-8")
    config = tmp_path / "gate.toml"
    config.write_text(demo.replace('data_dir = "var/demo"', f'data_dir = "{data_dir.as_posix()}"')
                      .replace('audit_key = "file:var/demo/audit.key"', f'audit_key = "file:{tmp_path.as_posix()}/audit.key"')
                      + "\n[retention]\npass_days = 5\nmin_free_gb = 0\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    runner = CliRunner()
    dry = runner.invoke(cli, ["db", "prune-frames", "--config", str(config), "--db", db, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "pass older than 5 days" in dry.output
    done = runner.invoke(cli, ["db", "prune-frames", "--config", str(config), "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    rules = {r["rule"]: r for r in json.loads(done.output)["rules"]}
    assert rules["pass older than 5 days"]["loads"] == 2 and rules["reject older than 365 days"]["files"] == 3
    again = runner.invoke(cli, ["db", "prune-frames", "--config", str(config), "--db", db])
    assert again.exit_code == 0 and "nothing is due" in again.output


def test_a_bad_retention_setting_names_the_key(tmp_path: Path) -> None:
    from intake.config import ConfigError, load_config

    demo = DEMO_CONFIG.read_text(encoding="utf-8")
    bad = tmp_path / "gate.toml"
    bad.write_text(demo + "\n[retention]\npass_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="retention.pass_days"):
        load_config(bad)


def test_the_hourly_timer_runs_the_prune_command_as_the_gate_user() -> None:
    import configparser
    import shlex

    def unit(name: str) -> configparser.ConfigParser:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str   # type: ignore[assignment,method-assign]  (systemd keys are case-sensitive)
        parser.read(DEMO_CONFIG.parents[2] / "deploy" / name, encoding="utf-8")
        return parser

    service, timer = unit("intake-prune.service")["Service"], unit("intake-prune.timer")["Timer"]
    assert service["Type"] == "oneshot" and service["User"] == "intake"
    argv = shlex.split(service["ExecStart"])
    assert argv[1:4] == ["db", "prune-frames", "--config"]
    assert CliRunner().invoke(cli, [*argv[1:3], "--help"]).exit_code == 0   # the command it names exists
    assert timer["OnCalendar"] == "hourly" and timer["Persistent"] == "true"
