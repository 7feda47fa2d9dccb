"""`python -m runner.llm config [--model M] [--base-url U] [--api-key-env V] [--json]`."""

from ._cli import llm_app

if __name__ == "__main__":
    llm_app()
