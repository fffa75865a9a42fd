"""Deck evidence: a snapshot from each of a lane's evidence cameras at every stable weight,
watermarked, stored as a JPEG with its SHA-256 in a chained record tied to the weighing."""
