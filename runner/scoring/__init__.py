"""Leaderboard scoring: medals, percentiles and normalized scores."""

from ._leaderboard import MedalName, MedalResult, medal, medal_positions, normalized_score, percentile

__all__ = ["MedalName", "MedalResult", "medal", "medal_positions", "normalized_score", "percentile"]
