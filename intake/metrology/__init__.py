"""Legal metrology of the gate's scales: verification records, calibrations and the audit-trail
event counters (reference reliability-and-security.md §1.A W11/W12)."""
