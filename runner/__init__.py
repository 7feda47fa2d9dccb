"""Run and score tasks: the `runner` CLI (`runner.cli`), named metrics (`runner.metrics`) and leaderboard
arithmetic (`runner.scoring`). Import the subpackage you need; this package imports nothing heavy itself.
"""
