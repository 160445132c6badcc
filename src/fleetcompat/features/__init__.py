"""NFD's feature model (flags / attributes / instances) and its loaders."""

from fleetcompat.features.load import load_features, load_features_file, parse_features_document
from fleetcompat.features.model import Features

__all__ = ["Features", "load_features", "load_features_file", "parse_features_document"]
