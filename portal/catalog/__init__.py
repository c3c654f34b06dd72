"""The catalog engine: products, tariffs and guarantees read from catalog.yaml, and the pure
functions that price a family, recommend a formula and check eligibility. Nothing here
touches Flask or the database except views.py.
"""
from .loader import CatalogError, get_catalog, load_catalog

__all__ = ["CatalogError", "get_catalog", "load_catalog"]
