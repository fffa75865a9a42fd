"""Procedural top-view photos of a sample tray, for training and testing the classifier."""
from vision.model_card import LABELS
from vision.synth.dataset import write_dataset
from vision.synth.generator import generate

__all__ = ["LABELS", "generate", "write_dataset"]
