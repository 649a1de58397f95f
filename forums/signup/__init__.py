"""Open registration for public sessions: the organisers' settings, the public form, confirmation by a link."""
