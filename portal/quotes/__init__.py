"""The quote wizard, numbering and versions, issuing, statuses."""
