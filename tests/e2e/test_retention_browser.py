"""Photos removed under the retention policy, in a real browser: the reviewer sees why the pictures
are gone, every frame's record is still listed, and the page asks for no missing image (the page
fixture fails on any 404). Its own plant: pruning must not touch the triage tests' photos."""
from __future__ import annotations

from datetime import timedelta, timezone

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from intake.config import RetentionConfig
from intake.store.retention import prune_frames
from intake.store.tables import Decision
from tests.e2e.test_review_browser import Plant, log_in, page, plant, shot  # noqa: F401  (fixtures)


def test_a_pruned_load_names_the_removal_instead_of_broken_pictures(plant: Plant, page: Page) -> None:  # noqa: F811
    # "now" is 400 days after the plant's last decision: past every load's retention, whatever
    # the hour the suite runs at
    with Session(plant.engine) as session:
        last = max(session.exec(select(Decision.decided_at)))
    totals = prune_frames(plant.engine, plant.data_dir, RetentionConfig(min_free_gb=0),
                          now=last.replace(tzinfo=last.tzinfo or timezone.utc) + timedelta(days=400))
    pruned = {t.rule: t.loads for t in totals}
    assert pruned.get("reject older than 365 days", 0) >= 1, totals

    log_in(page, plant.url, "li.wei")
    # the queue names the removal where the thumbnail was (and asks for no missing image)
    expect(page.locator("tr.row.verdict-reject").first.get_by_test_id("thumb-removed")).to_contain_text("图像已删除")
    page.locator("tr.row.verdict-reject a").first.click()
    expect(page.get_by_test_id("frames-removed")).to_contain_text("reject older than 365 days")
    expect(page.get_by_test_id("frame")).to_have_count(0)
    expect(page.get_by_test_id("frame-quality")).to_have_count(5)   # the records stay
    shot(page, "photos-removed")
