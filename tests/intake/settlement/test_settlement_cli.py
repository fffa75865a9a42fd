"""`intake settlement export|summary` on a real database: the export's net kg reconciles with
the weighings, the CSV is what Excel and an ERP read, a line the chain does not vouch for
carries no figures (exit 1), and bad arguments are named (exit 2)."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import timedelta, timezone

import pytest

from intake.settlement.lines import COLUMNS, FAILS, window
from intake.settlement.local import chain_check, deliveries
from tests.intake.settlement.plant import DAY0, GRAVEL, SAND, add_lab, deliver, weighings_net

SHANGHAI = timezone(timedelta(hours=8))


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize("supplier,days", [(None, ("2026-11-01", "2026-11-30")), ("hx-sand", ("2026-11-01", "2026-11-30")),
                                           ("ds-stone", ("2026-11-03", "2026-11-03")), (None, ("2026-11-04", "2026-11-09"))])
def test_export_net_sum_equals_the_weighings(cli, records, plant, supplier, days):
    args = ["export", "--from", days[0], "--to", days[1], "--tz", "UTC"] + (["--supplier", supplier] if supplier else [])
    done = cli(*args)
    assert done.exit_code == 0, done.output
    rows = rows_of(done.stdout)
    w = window(days[0], days[1], timezone.utc, supplier)
    trucks, net = weighings_net(records.engine, w.start, w.end, supplier)
    assert trucks > 0 and len(rows) == trucks
    assert sum(int(r["net_kg"]) for r in rows) == net
    assert all(r["verified"] == "yes" for r in rows)
    assert supplier is None or {r["supplier"] for r in rows} == {supplier}
    assert f"{trucks} deliveries, {net} kg received" in done.stderr


def test_csv_lines_say_what_was_received_in_the_plants_time(cli, records, plant):
    add_lab(records, 50_000_000, "pass")
    done = cli("export", "--from", "2026-11-02", "--to", "2026-11-02", "--tz", "Asia/Shanghai")
    assert done.exit_code == 0, done.output
    raw = done.stdout_bytes.decode("utf-8")   # the runner's .stdout turns CRLF into LF
    assert raw.split("\r\n", 1)[0] == "\ufeff" + ",".join(COLUMNS)
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    rows = rows_of(raw)
    # 2026-11-02 in Shanghai is 16:00 UTC the day before to 16:00 UTC: the first 6 trucks after 06:00 UTC
    # weigh out 06:20..11:20 UTC, all within it; none of the next day's (06:20 UTC + 1 day = 14:20 Shanghai).
    assert [int(r["ticket"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    first, sent_back, held, unsampled = rows[0], rows[1], rows[3], rows[4]
    assert first["weighed_out_at"] == (DAY0 + timedelta(minutes=20)).astimezone(SHANGHAI).isoformat()
    assert first["weighed_out_at"].endswith("+08:00") and first["plate"] == SAND.plate
    assert first["record_id"] == plant[0].visit and first["site"] == "Demo ready-mix plant"
    assert (first["received"], first["second_kind"], first["verdict"], first["lab"]) == ("yes", "tare", "pass", "pass")
    assert first["lab_results"] == "silt_pct=2.4 % pass" and first["order"].startswith("PO-")
    assert int(first["net_kg"]) == int(first["gross_kg"]) - int(first["second_kg"]) > 0
    assert (sent_back["plate"], sent_back["received"], sent_back["net_kg"], sent_back["second_kind"]) == (GRAVEL.plate, "no", "0", "exit")
    assert (sent_back["verdict"], sent_back["reasons"]) == ("reject", "muddy")
    assert (held["verdict"], held["received"], held["net_kg"]) == ("review", "no", "0")
    assert (unsampled["verdict"], unsampled["received"], unsampled["lab"]) == ("", "yes", "")


def test_json_export_to_a_file(cli, plant, tmp_path):
    out = tmp_path / "deliveries.jsonl"
    done = cli("export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json", "--out", str(out))
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["record_id"] for x in lines] == [d.visit for d in plant]
    assert sum(x["net_kg"] for x in lines) == sum(d.net_kg for d in plant)
    # No --tz: the configuration's [tickets] timezone (the demo plant's is Asia/Shanghai).
    assert lines[0]["weighed_out_at"] == "2026-11-02T14:20:00+08:00" and lines[0]["verified"] is True


def test_a_weight_changed_outside_the_gate_is_not_exported_as_fact(cli, db_path, plant):
    con = sqlite3.connect(db_path)
    con.execute("UPDATE weighing SET weight_kg = weight_kg + 2000 WHERE visit_id = ? AND kind = 'in'", (plant[2].visit,))
    con.commit()
    con.close()
    done = cli("export", "--from", "2026-11-01", "--to", "2026-11-30")
    assert done.exit_code == 1, done.output
    rows = {r["record_id"]: r for r in rows_of(done.stdout)}
    bad = rows[plant[2].visit]
    assert (bad["verified"], bad["net_kg"], bad["gross_kg"], bad["verdict"]) == (FAILS, "", "", "")
    assert bad["ticket"] == "3" and bad["supplier"] == "hx-sand"
    assert all(r["verified"] == "yes" for k, r in rows.items() if k != plant[2].visit)
    assert "1 NOT verified" in done.stderr


def test_summary_per_day_and_supplier_in_the_plants_days(cli, records, plant):
    # A late truck: weighed out 16:20 UTC on the 4th, which is the 5th in Shanghai.
    late = deliver(records, SAND.plate, 40_000, 14_000, "pass", DAY0 + timedelta(days=2, hours=10))
    assert late
    done = cli("summary", "--from", "2026-11-01", "--to", "2026-11-30", "--tz", "Asia/Shanghai", "--json")
    assert done.exit_code == 0, done.output
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    by = {(r["day"], r["supplier"]): r for r in rows}
    assert by[("2026-11-05", "hx-sand")] == {"day": "2026-11-05", "supplier": "hx-sand", "trucks": 1, "received_trucks": 1,
                                             "received_kg": 26_000, "rejected": 0, "held": 0, "unverified": 0,
                                             "tonnes": 26.0}
    stone = by[("2026-11-03", "ds-stone")]
    assert (stone["trucks"], stone["received_trucks"], stone["rejected"], stone["held"]) == (3, 1, 1, 1)
    assert sum(r["received_kg"] for r in rows) == sum(d.net_kg for d in plant) + 26_000
    table = cli("summary", "--from", "2026-11-01", "--to", "2026-11-30", "--tz", "Asia/Shanghai")
    assert table.exit_code == 0 and "2026-11-05" in table.stdout and "hx-sand" in table.stdout
    total = next(x for x in table.stdout.splitlines() if "total" in x)
    assert "19" in total and f"{(sum(d.net_kg for d in plant) + 26_000) / 1000:,.3f}" in total


def test_chunks_neither_skip_nor_repeat_tickets_weighed_out_at_the_same_moment(records, plant):
    at = DAY0 + timedelta(days=5)
    same = [deliver(records, (SAND, GRAVEL)[i % 2].plate, 40_000, 15_000, "pass", at - timedelta(minutes=20))
            for i in range(7)]
    w = window("2026-11-01", "2026-11-30", timezone.utc)
    for chunk in (1, 2, 3, 5, 500):
        lines = list(deliveries(records.engine, w, "p", chain_check(records.engine), chunk=chunk))
        assert [d.record_id for d in lines] == [d.visit for d in plant] + same
    assert all(d.weighed_out_at == at for d in lines[-7:])


@pytest.mark.parametrize("args,message", [
    (["--from", "2026-11-31", "--to", "2026-12-01"], "--from: '2026-11-31' is not a date"),
    (["--from", "2026-12-02", "--to", "2026-12-01"], "--to: 2026-12-01 is before from 2026-12-02"),
    (["--from", "2020-01-01", "--to", "2026-12-01"], "--from..to: at most"),
    (["--from", "2026-11-01", "--to", "2026-11-02", "--format", "xml"], "--format: 'xml' is not csv or json"),
    (["--from", "2026-11-01", "--to", "2026-11-02", "--tz", "Mars/Olympus"], "--tz: unknown time zone"),
    (["--from", "2026-11-01", "--to", "2026-11-02", "--supplier", " "], "--supplier: empty"),
    (["--from", "2026-11-01", "--to", "2026-11-02", "--central", "mysql://x/y"], "--central: a postgresql:// URL"),
    (["--from", "2026-11-01", "--to", "2026-11-02", "--out", "/no/such/dir/x.csv"], "--out: no folder"),
])
def test_bad_arguments_are_named_and_exit_2(cli, plant, args, message):
    done = cli("export", *args)
    assert done.exit_code == 2, done.output
    assert message in done.stderr and done.stdout == ""


def test_missing_dates_and_database(cli, tmp_path):
    assert cli("export", "--to", "2026-11-02").exit_code == 2
    missing = cli("export", "--from", "2026-11-01", "--to", "2026-11-02", "--db", f"sqlite:///{tmp_path / 'none.db'}",
                  "--key", "env:INTAKE_TEST_SETTLEMENT_KEY", db=False)
    assert missing.exit_code == 2 and "none.db" in missing.stderr


def test_summary_leaves_a_forged_line_out_of_the_figures_and_says_so(cli, db_path, plant):
    con = sqlite3.connect(db_path)
    con.execute("UPDATE ticket SET net_kg = net_kg + 5000 WHERE visit_id = ?", (plant[0].visit,))
    con.commit()
    con.close()
    done = cli("summary", "--from", "2026-11-02", "--to", "2026-11-02", "--tz", "UTC", "--json")
    assert done.exit_code == 1, done.output
    sand = next(json.loads(x) for x in done.stdout.splitlines() if '"hx-sand"' in x)
    assert (sand["trucks"], sand["unverified"], sand["received_trucks"]) == (3, 1, 2)
    assert sand["received_kg"] == sum(d.net_kg for d in plant[1:6] if d.plate == SAND.plate)
    table = cli("summary", "--from", "2026-11-02", "--to", "2026-11-02", "--tz", "UTC")
    assert table.exit_code == 1 and "unverified" in table.stdout


def test_summary_of_ten_years_reads_a_stretch_at_a_time(cli, records, plant, monkeypatch):
    """Any period: ten years is 118 stretches of at most 31 days, each read on its own (so only
    one stretch's rows are ever held), and the figures are the month's."""
    import intake.settlement.local as local

    windows = []
    real = local.deliveries

    def spy(engine, w, *args, **kwargs):
        windows.append(w)
        return real(engine, w, *args, **kwargs)

    monkeypatch.setattr(local, "deliveries", spy)
    decade = cli("summary", "--from", "2020-01-01", "--to", "2029-12-31", "--tz", "Asia/Shanghai", "--json")
    assert decade.exit_code == 0, decade.output
    assert len(windows) == 118 and all(w.end - w.start <= timedelta(days=31) for w in windows)
    assert all(a.end == b.start for a, b in zip(windows, windows[1:]))   # no day left out, none twice
    month = cli("summary", "--from", "2026-11-01", "--to", "2026-11-30", "--tz", "Asia/Shanghai", "--json")
    assert decade.stdout == month.stdout and sum(json.loads(x)["trucks"] for x in month.stdout.splitlines()) == len(plant)


def test_page_command_walks_the_apis_cursor(cli, plant):
    seen, after = [], None
    while True:
        done = cli("page", "--limit", "5", *(["--after", after] if after else []), "--tz", "UTC")
        assert done.exit_code == 0, done.output
        *lines, tail = [json.loads(x) for x in done.stdout.splitlines()]
        seen += [d["record_id"] for d in lines]
        after = tail["next"]
        if not tail["more"]:
            break
    assert seen == [d.visit for d in plant]
    bad = cli("page", "--after", "not-a-cursor")
    assert bad.exit_code == 2 and "after: not a cursor" in bad.output
