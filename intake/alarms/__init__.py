"""Alarms: rules in the site config, a durable outbox in the gate's database, channels (WeCom,
DingTalk and plain JSON webhooks, e-mail), and a watcher that observes the gate.

Alarms observe; they never decide anything. Nothing here is called by the lane machine, and a
failure anywhere in this package is logged and never reaches a verdict or a barrier."""
