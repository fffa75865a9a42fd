"""The model registry's records: which model files the gate may use, how each candidate
measured against the model in service, and every promotion and rollback. All three are
append-only and hash-chained (intake.store.chain): which model judged a load is as much part
of the record as the weight, so who put it in service, when and why must be too."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow


class ModelVersion(SQLModel, table=True):
    """A model file kept in the site's data folder (`path`, relative to it), by its SHA-256."""
    __tablename__ = "model_version"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, unique=True)       # v1, v2, ... in registration order
    sha256: str = Field(max_length=64, unique=True)
    path: str = Field(max_length=300)
    card: dict = Field(default_factory=dict, sa_column=Column(JSON))   # the model card as registered
    source: str = Field(max_length=500)                     # where it came from (training run, export)
    registered_by: str = Field(max_length=200)
    registered_at: datetime = Field(default_factory=utcnow)


class ModelEvaluation(SQLModel, table=True):
    """A candidate measured against the model in service on one frozen validation set."""
    __tablename__ = "model_evaluation"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_sha256: str = Field(max_length=64, index=True)
    current_sha256: str = Field(max_length=64)
    dataset: str = Field(max_length=500)                    # the set's description and digest
    figures: dict = Field(default_factory=dict, sa_column=Column(JSON))   # both models' figures
    worse: list = Field(default_factory=list, sa_column=Column(JSON))     # figures where the candidate loses
    evaluated_by: str = Field(max_length=200)
    evaluated_at: datetime = Field(default_factory=utcnow)


class ModelPromotion(SQLModel, table=True):
    """The model in service changed: a promotion of a version, or a rollback to the one before.
    The latest record names the model the gate uses."""
    __tablename__ = "model_promotion"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    action: str = Field(max_length=16)                      # promote | rollback
    version_id: int = Field(foreign_key="model_version.id")
    previous_version_id: Optional[int] = Field(default=None, foreign_key="model_version.id")
    evaluation_id: Optional[int] = Field(default=None, foreign_key="model_evaluation.id")
    override: bool = False                                  # promoted although the evaluation said worse
    by: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    at: datetime = Field(default_factory=utcnow)
