"""The back-office's and the administrator's pages, reading what the other modules write."""
