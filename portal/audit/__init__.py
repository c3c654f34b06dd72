"""Former name of the journal (portal.journal), kept importable."""
