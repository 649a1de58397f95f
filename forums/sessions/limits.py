"""How long and how large the fields of forums, sessions and agenda items may be.

The one home of these numbers: the operations enforce them, the forms give browsers the same bounds and the
API's OpenAPI description publishes them, all by reading this module.
"""

#: a forum's and a session's title, and a session's venue
TITLE_MAX = 200
VENUE_MAX = 200
#: descriptions, in every language
DESCRIPTION_MAX = 5000
#: an agenda item's title, in every language (items are named at more length than sessions)
AGENDA_TITLE_MAX = 300
#: seats in a session
CAPACITY_MIN, CAPACITY_MAX = 1, 100_000
#: days personal data is kept after each session of a forum (up to a century)
RETENTION_DAYS_MIN, RETENTION_DAYS_MAX = 1, 36_500
