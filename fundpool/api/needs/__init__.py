"""Needs register endpoints, and survey imports into it."""
