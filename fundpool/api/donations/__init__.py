"""Donor, donation, receipt and import endpoints.

Modules that add routes to the donations blueprint are imported here, so their routes exist
before the blueprint is registered on the app.
"""

from fundpool.api.donations import pass_through  # noqa: F401  adds /donations/{id}/pay-on
