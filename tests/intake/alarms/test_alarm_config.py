"""`[alarms]` in the site config: a good one loads; each mistake names its field, and nothing starts."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from intake.config import ConfigError, load_config, parse_config
from tests.intake.alarms.conftest import ROOT, site_toml

GOOD = """
[alarms]
timezone = "Asia/Shanghai"
[alarms.channels.qa-wecom]
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"
[alarms.channels.ops-dingtalk]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN"
secret = "env:DINGTALK_SECRET"
[alarms.channels.mail]
kind = "email"
host = "smtp.example.com"
port = 587
starttls = true
username = "gate"
password = "env:SMTP_PASSWORD"
sender = "gate@plant.example"
to = ["qa@plant.example"]
[[alarms.rules]]
event = "reject"
channels = ["qa-wecom", "mail"]
every_min = 10
[[alarms.rules]]
event = "review_waiting"
after_min = 30
channels = ["qa-wecom"]
[[alarms.rules]]
event = "disk_low"
below_gb = 20
channels = ["ops-dingtalk", "mail"]
every_min = 240
[[alarms.rules]]
event = "lane_closed"
channels = ["ops-dingtalk"]
lanes = ["1"]
"""


def _raw(extra: str) -> dict[str, object]:
    return tomllib.loads((ROOT / "intake/demo/demo.toml").read_text(encoding="utf-8") + extra)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    cfg = load_config(site_toml(tmp_path, GOOD)).alarms
    assert list(cfg.channels) == ["qa-wecom", "ops-dingtalk", "mail"]
    assert [r.event for r in cfg.rules] == ["reject", "review_waiting", "disk_low", "lane_closed"]
    assert [i for i, _ in cfg.rules_for("lane_closed", "1")] == [3] and cfg.rules_for("lane_closed", "2") == []
    assert [i for i, _ in cfg.rules_for("disk_low", None, 20.0)] == [2] and cfg.rules_for("disk_low", None, 5.0) == []


def test_the_readme_example_is_this_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert GOOD.strip() in readme


def test_no_alarms_section_means_no_rules() -> None:
    assert parse_config(_raw("")).alarms.rules == []


@pytest.mark.parametrize(("extra", "named"), [
    (GOOD.replace('channels = ["qa-wecom"]', 'channels = ["qa-wechat"]'),
     "alarms: Value error, rules.1.channels: unknown channel 'qa-wechat'"),
    (GOOD.replace("after_min = 30\n", ""), "alarms.rules.1: Value error, after_min: a review_waiting rule needs after_min"),
    (GOOD.replace("below_gb = 20\n", ""), "alarms.rules.2: Value error, below_gb: a disk_low rule needs below_gb"),
    (GOOD.replace('event = "reject"', 'event = "rejected"'), "alarms.rules.0.event: Input should be 'reject'"),
    (GOOD.replace("every_min = 10", "every_mins = 10"), "alarms.rules.0.every_mins: Extra inputs are not permitted"),
    (GOOD.replace('kind = "wecom"', 'kind = "wechat"'), "alarms.channels.qa-wecom: Input tag 'wechat'"),
    (GOOD.replace('to = ["qa@plant.example"]', 'to = ["qa.plant.example"]'), "alarms.channels.mail.email.to.0: String should match"),
    (GOOD.replace("https://qyapi", "ftp://qyapi"), "alarms.channels.qa-wecom.wecom.url: String should match"),
    (GOOD.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"'), "alarms.timezone: Value error, unknown time zone"),
    (GOOD.replace('kind = "wecom"\n', 'kind = "wecom"\nsecret = "x"\n'), "alarms.channels.qa-wecom.wecom: Value error, secret: only a dingtalk"),
    (GOOD.replace("starttls = true", 'starttls = false\nca_file = "plant-ca.pem"'),
     "alarms.channels.mail.email: Value error, ca_file: only with starttls = true"),
    (GOOD.replace("every_min = 240", "every_min = -1"), "alarms.rules.2.every_min: Input should be greater than or equal to 0"),
])
def test_a_bad_alarms_config_names_the_field(extra: str, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_raw(extra))
    assert named in str(err.value)
