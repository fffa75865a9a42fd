"""Master data in, by staff: CSV imports and admin corrections of suppliers, vehicles and
orders, each change a chained change record (intake.store.master_changes)."""
