"""People search, client synthesis, agenda events, exports."""
