"""The customer link is made by issuing a quote, so it lives with the quotes; kept importable here."""
from ..quotes.links import CustomerLink  # noqa: F401
