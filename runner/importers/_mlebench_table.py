"""What each MLE-bench grader expects and rewards, written down by reading every competition's `grade.py`.

Config files name graders loosely (ventilator-pressure-prediction's grader is called `dice-hausdorff-combo` and
computes a mean absolute error), and leaderboards in a fresh checkout are Git LFS pointers, so neither can give the
direction. This table can: one entry per competition of the checkout, kept in step with it by
tests/runner/test_mlebench_import.py, which also grades synthetic answers against perturbed ones to confirm each
direction.

Submission columns come from the same reading: the columns `prepare.py` writes into the sample submission (or
asserts it has) and the columns the grader requires. Where the columns are the class list of a module in the
competition's folder (`CLASSES`, `DOGS_LIST`, …), `ClassList` names it and the importer reads the literal list.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec import Modality, ProblemType


@dataclass(frozen=True)
class ClassList:
    """Prediction columns that are a literal list assigned to `name` in `module` of the competition's folder."""

    module: str
    name: str


@dataclass(frozen=True)
class Competition:
    """One grader as its code reads: direction, problem, the submission it expects, the kind of data it serves."""

    higher_is_better: bool
    problem: ProblemType
    metric: str
    id_column: str
    columns: tuple[str, ...] | ClassList
    modality: Modality | None = None
    """Only where the file extensions `prepare.py` handles cannot tell (images inside zips, DICOM folders, text)."""


def _c(
    higher: bool,
    problem: ProblemType,
    metric: str,
    id_column: str,
    columns: tuple[str, ...] | ClassList,
    modality: Modality | None = None,
) -> Competition:
    return Competition(higher, problem, metric, id_column, columns, modality)


H, L = True, False

COMPETITIONS: dict[str, Competition] = {
    "3d-object-detection-for-autonomous-vehicles": _c(H, "detection", "mean average precision over IoU thresholds",
                                                      "Id", ("PredictionString",)),
    "AI4Code": _c(H, "ranking", "Kendall tau of cell orders", "id", ("cell_order",), "code"),
    "aerial-cactus-identification": _c(H, "binary", "ROC AUC", "id", ("has_cactus",), "image"),
    "alaska2-image-steganalysis": _c(H, "binary", "weighted ROC AUC", "Id", ("Label",)),
    "aptos2019-blindness-detection": _c(H, "multiclass", "quadratic weighted kappa", "id_code", ("diagnosis",)),
    "billion-word-imputation": _c(L, "generation", "mean Levenshtein distance", "id", ("sentence",), "text"),
    "bms-molecular-translation": _c(L, "generation", "mean Levenshtein distance", "image_id", ("InChI",)),
    "cassava-leaf-disease-classification": _c(H, "multiclass", "accuracy", "image_id", ("label",), "image"),
    "cdiscount-image-classification-challenge": _c(H, "multiclass", "accuracy", "_id", ("category_id",), "image"),
    "chaii-hindi-and-tamil-question-answering": _c(H, "generation", "word-level Jaccard", "id",
                                                   ("PredictionString",), "text"),
    "champs-scalar-coupling": _c(L, "regression", "mean over coupling types of log MAE", "id",
                                 ("scalar_coupling_constant",), "graph"),
    "denoising-dirty-documents": _c(L, "regression", "RMSE of pixel intensities", "id", ("value",)),
    "detecting-insults-in-social-commentary": _c(H, "binary", "ROC AUC", "Comment", ("Insult", "Date"), "text"),
    "dog-breed-identification": _c(L, "multiclass", "multiclass log loss", "id", ClassList("dogs.py", "DOGS_LIST")),
    "dogs-vs-cats-redux-kernels-edition": _c(L, "binary", "log loss", "id", ("label",)),
    "facebook-recruiting-iii-keyword-extraction": _c(H, "multilabel", "micro F1 of tags", "Id", ("Tags",), "text"),
    "freesound-audio-tagging-2019": _c(H, "multilabel", "label-weighted label-ranking average precision", "fname",
                                       ClassList("vocabulary.py", "CLASS_NAMES"), "audio"),
    "google-quest-challenge": _c(H, "regression", "mean column-wise Spearman", "qa_id",
                                 ClassList("classes.py", "CLASSES"), "text"),
    "google-research-identify-contrails-reduce-global-warming": _c(H, "segmentation", "global Dice", "record_id",
                                                                   ("encoded_pixels",), "image"),
    "h-and-m-personalized-fashion-recommendations": _c(H, "ranking", "MAP@12", "customer_id", ("prediction",),
                                                       "tabular"),
    "herbarium-2020-fgvc7": _c(H, "multiclass", "macro F1", "Id", ("Predicted",)),
    "herbarium-2021-fgvc8": _c(H, "multiclass", "macro F1", "Id", ("Predicted",)),
    "herbarium-2022-fgvc9": _c(H, "multiclass", "macro F1", "Id", ("Predicted",)),
    "histopathologic-cancer-detection": _c(H, "binary", "ROC AUC", "id", ("label",)),
    "hms-harmful-brain-activity-classification": _c(L, "multiclass", "Kullback-Leibler divergence", "eeg_id",
                                                    ClassList("constants.py", "TARGET_COLS"), "time-series"),
    "hotel-id-2021-fgvc8": _c(H, "ranking", "MAP@5", "image", ("hotel_id",)),
    "hubmap-kidney-segmentation": _c(H, "segmentation", "mean Dice", "id", ("predicted",)),
    "icecube-neutrinos-in-deep-ice": _c(L, "regression", "mean angular error", "event_id", ("azimuth", "zenith"),
                                        "tabular"),
    "imet-2020-fgvc7": _c(H, "multilabel", "micro F1", "id", ("attribute_ids",)),
    "inaturalist-2019-fgvc6": _c(L, "multiclass", "top-1 error (1 - accuracy)", "id", ("predicted",)),
    "invasive-species-monitoring": _c(H, "binary", "ROC AUC", "name", ("invasive",)),
    "iwildcam-2019-fgvc6": _c(H, "multiclass", "macro F1", "Id", ("Category",)),
    "iwildcam-2020-fgvc7": _c(H, "multiclass", "accuracy", "Id", ("Category",)),
    "jigsaw-toxic-comment-classification-challenge": _c(H, "multilabel", "mean column-wise ROC AUC", "id",
                                                        ClassList("classes.py", "CLASSES"), "text"),
    "jigsaw-unintended-bias-in-toxicity-classification": _c(H, "binary", "bias-weighted ROC AUC", "id",
                                                            ("prediction",), "text"),
    "kuzushiji-recognition": _c(H, "detection", "F1 of character centres", "image_id", ("labels",)),
    "leaf-classification": _c(L, "multiclass", "multiclass log loss", "id", ClassList("classes.py", "CLASSES")),
    "learning-agency-lab-automated-essay-scoring-2": _c(H, "multiclass", "quadratic weighted kappa", "essay_id",
                                                        ("score",), "text"),
    "lmsys-chatbot-arena": _c(L, "multiclass", "multiclass log loss", "id",
                              ("winner_model_a", "winner_model_b", "winner_tie"), "text"),
    "ml2021spring-hw2": _c(H, "multiclass", "accuracy", "Id", ("ClassId",), "audio"),
    "mlsp-2013-birds": _c(H, "multilabel", "ROC AUC", "Id", ("Probability",)),
    "movie-review-sentiment-analysis-kernels-only": _c(H, "multiclass", "accuracy", "PhraseId", ("Sentiment",),
                                                       "text"),
    "multi-modal-gesture-recognition": _c(L, "generation", "Levenshtein distance per gesture", "Id", ("Sequence",),
                                          "multimodal"),
    "new-york-city-taxi-fare-prediction": _c(L, "regression", "RMSE", "key", ("fare_amount",), "tabular"),
    "nfl-player-contact-detection": _c(H, "binary", "Matthews correlation", "contact_id", ("contact",)),
    "nomad2018-predict-transparent-conductors": _c(L, "regression", "mean column-wise RMSLE", "id",
                                                   ("formation_energy_ev_natom", "bandgap_energy_ev"), "tabular"),
    "osic-pulmonary-fibrosis-progression": _c(H, "regression", "modified Laplace log likelihood", "Patient_Week",
                                              ("FVC", "Confidence"), "multimodal"),
    "paddy-disease-classification": _c(H, "multiclass", "accuracy", "image_id", ("label",)),
    "petfinder-pawpularity-score": _c(L, "regression", "RMSE", "Id", ("Pawpularity",)),
    "plant-pathology-2020-fgvc7": _c(H, "multilabel", "mean column-wise ROC AUC", "image_id",
                                     ("healthy", "multiple_diseases", "rust", "scab")),
    "plant-pathology-2021-fgvc8": _c(H, "multilabel", "micro F1", "image", ("labels",)),
    "plant-seedlings-classification": _c(H, "multiclass", "micro F1", "file", ("species",)),
    "playground-series-s3e18": _c(H, "multilabel", "mean column-wise ROC AUC", "id", ("EC1", "EC2"), "tabular"),
    "predict-volcanic-eruptions-ingv-oe": _c(L, "regression", "MAE", "segment_id", ("time_to_eruption",),
                                             "time-series"),
    "random-acts-of-pizza": _c(H, "binary", "ROC AUC", "request_id", ("requester_received_pizza",), "text"),
    "ranzcr-clip-catheter-line-classification": _c(H, "multilabel", "mean column-wise ROC AUC", "StudyInstanceUID",
                                                   ClassList("classes.py", "CLASSES")),
    "rsna-2022-cervical-spine-fracture-detection": _c(L, "multilabel", "weighted multi-label log loss", "row_id",
                                                      ("fractured",), "image"),
    "rsna-breast-cancer-detection": _c(H, "binary", "probabilistic F1", "prediction_id", ("cancer",)),
    "rsna-miccai-brain-tumor-radiogenomic-classification": _c(H, "binary", "ROC AUC", "BraTS21ID", ("MGMT_value",),
                                                              "image"),
    "seti-breakthrough-listen": _c(H, "binary", "ROC AUC", "id", ("target",), "image"),
    "siim-covid19-detection": _c(H, "detection", "mean average precision", "id", ("PredictionString",), "image"),
    "siim-isic-melanoma-classification": _c(H, "binary", "ROC AUC", "image_name", ("target",)),
    "smartphone-decimeter-2022": _c(L, "regression", "mean of 50th and 95th percentile haversine distance", "tripId",
                                    ("UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"), "time-series"),
    "spaceship-titanic": _c(H, "binary", "accuracy", "PassengerId", ("Transported",), "tabular"),
    "spooky-author-identification": _c(L, "multiclass", "multiclass log loss", "id",
                                       ClassList("classes.py", "CLASSES"), "text"),
    "stanford-covid-vaccine": _c(L, "regression", "mean column-wise RMSE", "id_seqpos",
                                 ("reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C"), "text"),
    "statoil-iceberg-classifier-challenge": _c(L, "binary", "log loss", "id", ("is_iceberg",), "image"),
    "tabular-playground-series-dec-2021": _c(H, "multiclass", "accuracy", "Id", ("Cover_Type",), "tabular"),
    "tabular-playground-series-may-2022": _c(H, "binary", "ROC AUC", "id", ("target",), "tabular"),
    "tensorflow-speech-recognition-challenge": _c(H, "multiclass", "accuracy", "fname", ("label",)),
    "tensorflow2-question-answering": _c(H, "generation", "micro F1 of answer spans", "example_id",
                                         ("PredictionString",), "text"),
    "text-normalization-challenge-english-language": _c(H, "generation", "accuracy", "id", ("after",), "text"),
    "text-normalization-challenge-russian-language": _c(H, "generation", "accuracy", "id", ("after",), "text"),
    "tgs-salt-identification-challenge": _c(H, "segmentation", "mean precision over IoU thresholds", "id",
                                            ("rle_mask",)),
    "the-icml-2013-whale-challenge-right-whale-redux": _c(H, "binary", "ROC AUC", "clip", ("probability",), "audio"),
    "tweet-sentiment-extraction": _c(H, "generation", "word-level Jaccard", "textID", ("selected_text",), "text"),
    "us-patent-phrase-to-phrase-matching": _c(H, "regression", "Pearson correlation", "id", ("score",), "text"),
    "uw-madison-gi-tract-image-segmentation": _c(H, "segmentation", "Dice and Hausdorff combination", "id",
                                                 ("class", "predicted")),
    "ventilator-pressure-prediction": _c(L, "regression", "MAE on inspiratory steps", "id", ("pressure",),
                                         "time-series"),
    "vesuvius-challenge-ink-detection": _c(H, "segmentation", "F0.5", "Id", ("Predicted",)),
    "vinbigdata-chest-xray-abnormalities-detection": _c(H, "detection", "mAP at IoU 0.4", "image_id",
                                                        ("PredictionString",)),
    "whale-categorization-playground": _c(H, "ranking", "MAP@5", "Image", ("Id",)),
}  # fmt: skip
"""Every MLE-bench competition by its id: what its `grade.py` computes and the submission it reads."""
