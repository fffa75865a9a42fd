"""`[alarms]` in the site config: channels by name, and rules that route events to them.

An unknown key, an unknown channel in a rule or a rule without the figure its event needs is an
error naming the field (`alarms.rules.1.after_min`), and nothing starts."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EventKind = Literal["reject", "review_waiting", "lane_closed", "device_fault", "chain_failure", "disk_low"]
EVENTS: tuple[str, ...] = ("reject", "review_waiting", "lane_closed", "device_fault", "chain_failure", "disk_low")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def secret_value(value: str) -> str:
    """A secret given as `env:NAME` is read from the environment at use; anything else is itself."""
    if value.startswith("env:"):
        return os.environ.get(value[4:], "")
    return value


class WebhookChannel(_Strict):
    """A robot webhook: `wecom` (企业微信群机器人), `dingtalk` (钉钉自定义机器人, optional `secret`
    for its signature) or `json` (the alarm's fields as one JSON object)."""
    kind: Literal["wecom", "dingtalk", "json"]
    url: str = Field(pattern=r"^https?://[^\s]+$", description="the robot's webhook address")
    secret: str = Field("", description="dingtalk only: the robot's signing secret (SEC...), or env:NAME")
    timeout_s: float = Field(10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _secret_for_dingtalk(self) -> "WebhookChannel":
        if self.secret and self.kind != "dingtalk":
            raise ValueError(f"secret: only a dingtalk robot signs its posts, not {self.kind}")
        return self


class EmailChannel(_Strict):
    """Mail over SMTP (smtplib): STARTTLS when `starttls`, a login when `username` is set."""
    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(25, gt=0, lt=65536)
    starttls: bool = False
    ca_file: Optional[Path] = Field(None, description="starttls: PEM file of the CA that signed the server's "
                                                        "certificate; empty: the system's trust store")
    username: str = ""
    password: str = Field("", description="the SMTP password, or env:NAME")
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)
    timeout_s: float = Field(20.0, gt=0, le=120)

    @model_validator(mode="after")
    def _ca_with_tls(self) -> "EmailChannel":
        if self.ca_file is not None and not self.starttls:
            raise ValueError("ca_file: only with starttls = true")
        return self


Channel = Annotated[Union[WebhookChannel, EmailChannel], Field(discriminator="kind")]


class AlarmRule(_Strict):
    """One event routed to channels. At most one alarm per rule and lane every `every_min`
    minutes; the next one says how many were held back."""
    event: EventKind
    channels: list[str] = Field(min_length=1, description="names of [alarms.channels.*]")
    every_min: float = Field(10.0, ge=0, description="rate limit per rule and lane, minutes; 0: no limit")
    after_min: float | None = Field(None, gt=0, description="review_waiting: a REVIEW pending this long")
    below_gb: float | None = Field(None, gt=0, description="disk_low: free space under this on the store's folder")
    lanes: list[str] = Field(default_factory=list, description="only these lanes; empty: all")

    @model_validator(mode="after")
    def _figures(self) -> "AlarmRule":
        if self.event == "review_waiting" and self.after_min is None:
            raise ValueError("after_min: a review_waiting rule needs after_min (minutes)")
        if self.event != "review_waiting" and self.after_min is not None:
            raise ValueError(f"after_min: only review_waiting takes it, not {self.event}")
        if self.event == "disk_low" and self.below_gb is None:
            raise ValueError("below_gb: a disk_low rule needs below_gb (GB free)")
        if self.event != "disk_low" and self.below_gb is not None:
            raise ValueError(f"below_gb: only disk_low takes it, not {self.event}")
        return self


class Backoff(_Strict):
    """Delivery retries: first after `first_s`, doubling up to `max_s`; given up after `give_up_h`."""
    first_s: float = Field(10.0, gt=0)
    max_s: float = Field(3600.0, gt=0)
    give_up_h: float = Field(48.0, gt=0)


class AlarmsConfig(_Strict):
    channels: dict[str, Channel] = Field(default_factory=dict)
    rules: list[AlarmRule] = Field(default_factory=list)
    timezone: str = Field("", description="IANA zone of the messages' times; empty: tickets.timezone")
    poll_s: float = Field(5.0, gt=0, le=600, description="how often the watcher looks at the gate (wall s)")
    backoff: Backoff = Backoff()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {name!r}") from exc
        return name

    @model_validator(mode="after")
    def _known_channels(self) -> "AlarmsConfig":
        for i, rule in enumerate(self.rules):
            for name in rule.channels:
                if name not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none defined"
                    raise ValueError(f"rules.{i}.channels: unknown channel {name!r} (known: {known})")
        return self

    def rules_for(self, event: str, lane: str | None, threshold: float | None = None) -> list[tuple[int, AlarmRule]]:
        """(index, rule) of the rules that take this event on this lane; an event found against
        one rule's figure (after_min, below_gb) goes to the rules with that figure."""
        return [(i, r) for i, r in enumerate(self.rules)
                if r.event == event and (not r.lanes or lane is None or lane in r.lanes)
                and (threshold is None or threshold in (r.after_min, r.below_gb))]
