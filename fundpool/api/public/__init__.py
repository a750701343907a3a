"""Public figures and disclosure reports (慈善信息公开), open without a token."""
