"""The journal: every change of state and every notable action, in one table, written through
`service.transition` and `service.record` by every module; the agenda is a part of it."""
