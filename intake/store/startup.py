"""Opening the gate's store at start, in order: the audit key (outside the database), the file's
quick_check, migrations (backup first), the chain verified from its signed checkpoint (the
whole chain the first time), then recovery of visits that were in flight.

A chain that does not verify does not stop the process: the gate comes up with every lane
refusing trucks and the reason on the kiosk and /health (intake.store.integrity), so the
plant sees why instead of a service in a restart loop."""
from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from intake.config import SiteConfig
from intake.store.checkpoint import checkpoint_path
from intake.store.db import open_engine
from intake.store.integrity import verify_at_start
from intake.store.keys import load_key
from intake.store.private import tighten_dir
from intake.store.recovery import abort_visits_in_flight

log = logging.getLogger(__name__)


def open_store(site: SiteConfig) -> Engine:
    tighten_dir(site.data_dir)   # photos and the database: the gate's user only
    key = load_key(site.audit_key, create=site.audit_key.startswith("file:"))
    engine = open_engine(site.database, key)
    state = verify_at_start(engine, key, checkpoint_path(site.database, site.data_dir))
    if state.ok:
        log.info("audit chain verifies from its checkpoint (%d new links, %.2f s)", state.records, state.duration_s)
        abort_visits_in_flight(engine)
    return engine
