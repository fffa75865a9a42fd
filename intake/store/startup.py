"""Opening the gate's store at start, in order: the audit key (outside the database), the file's
quick_check, migrations (backup first), a MAC check of the newest chain links (a wrong key or a
damaged tail stops the gate here), then recovery of visits that were in flight."""
from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from intake.config import SiteConfig
from intake.store.audit import verify
from intake.store.db import StoreError, open_engine
from intake.store.keys import load_key
from intake.store.private import tighten_dir
from intake.store.recovery import abort_visits_in_flight

log = logging.getLogger(__name__)
TAIL_LINKS = 200   # checked at every start; `intake audit verify` checks the whole chain


def open_store(site: SiteConfig) -> Engine:
    tighten_dir(site.data_dir)   # photos and the database: the gate's user only
    key = load_key(site.audit_key, create=site.audit_key.startswith("file:"))
    engine = open_engine(site.database, key)
    report = verify(engine, key, tail=TAIL_LINKS)
    if not report.ok:
        first = report.problems[0]
        engine.dispose()
        raise StoreError(f"audit chain does not verify ({first.kind} at seq {first.seq}): "
                         "run `intake audit verify`; the gate takes no records until it is resolved")
    abort_visits_in_flight(engine)
    return engine
