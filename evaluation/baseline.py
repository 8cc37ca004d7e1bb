"""The plain TF-IDF + logistic-regression baseline the pipeline is measured against."""

from ryggvett.text_classifier import train_tfidf_classifier as train_tfidf_baseline

__all__ = ["train_tfidf_baseline"]
