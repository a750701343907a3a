"""Matching runs, the matches they propose, and the grants approved matches become."""
