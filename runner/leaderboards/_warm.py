"""Preloaded by the worker fork server: import scikit-learn and run one tiny fit, so that each forked worker
starts with the lazy imports and library probes already done (they cost a few tenths of a second per worker)."""

from __future__ import annotations

import warnings

from ._worker import warm_up

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    warm_up()
