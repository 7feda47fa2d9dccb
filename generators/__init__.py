"""Make new tasks from raw data: a profiler-driven generator (no model) and an LLM pipeline.

Nothing is exported yet; generated manifests will pass through `validators` before they count.
"""
