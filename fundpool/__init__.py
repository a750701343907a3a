"""fundpool: the books of a multi-level charity fund pool (市/区/街道/社区资金池)."""

from fundpool.app import create_app

__all__ = ["create_app"]
