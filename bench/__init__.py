"""The performance benchmark behind `make bench`: one JSON line per figure (docs/QUALITY goals)."""
