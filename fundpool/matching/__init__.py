"""Where the money goes: needs, the reserve pool of proposals, matching and grants."""
