"""How long the fields of the register may be: participants, dimensions and categories.

The one home of these numbers: the operations enforce them, the forms give browsers the same bounds and the
API's OpenAPI description publishes them, all by reading this module.
"""

NAME_MAX = 200
ORGANISATION_MAX = 200
#: RFC 5321's limit for a whole address
EMAIL_MAX = 254
PHONE_MAX = 40
#: a dimension's or category's display name in each language (its key is a slug: forums.validation.SLUG_MAX)
DISPLAY_NAME_MAX = 120
