"""An intent classifier for short, typo-ridden phone messages: TF-IDF over word 1–2-grams and character
2–5-grams within words, then a logistic regression.

Why not Rasa's own classifiers: DIET took about three minutes to train on two cores, and Rasa's
logistic regression (raw counts, C fixed at 1.0) underfits "k", "nah", "fresno", "kms". In 5-fold
cross-validation this component scores about two points of intent macro-F1 above Rasa's and trains in
seconds. Entities still come from Rasa's featurizers and CRF; only the intent is decided here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

# What a persisted model may contain: skops refuses anything else when loading.
_TRUSTED_TYPES = frozenset({
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float64",
    "numpy.int64",
    "builtins.frozenset",
    "scipy.sparse._csr.csr_matrix",
})


def build_pipeline(config: dict[str, Any]) -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
    ])
    classifier = LogisticRegression(C=float(config["C"]), max_iter=int(config["max_iter"]),
                                    class_weight="balanced", random_state=int(config["random_state"]))
    return Pipeline([("features", features), ("classifier", classifier)])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 30.0, "max_iter": 3000, "random_state": 7, "ranking_length": 10}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "skops"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Pipeline | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            return self._resource
        pipeline = build_pipeline(self.config)
        pipeline.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        self.pipeline = pipeline
        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(pipeline, model_dir / "intent_classifier.skops")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / "intent_classifier.skops"
                unexpected = set(sio.get_untrusted_types(file=path)) - _TRUSTED_TYPES
                if unexpected:
                    raise ValueError(f"refusing to load {path}: unexpected types {sorted(unexpected)}")
                pipeline = sio.load(path, trusted=sorted(_TRUSTED_TYPES))
        except ValueError:
            raise
        except Exception:  # no trained model in this resource (e.g. NLU data without intents)
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        texts = [str(m.get(TEXT) or "") for m in messages]
        probabilities = self.pipeline.predict_proba(texts)
        names = self.pipeline.classes_
        limit = int(self.config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": str(names[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:limit] if limit > 0 else ranking, add_to_output=True)
        return messages
