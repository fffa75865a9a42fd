"""Weighing tickets (磅单): issue after the weigh-out, verify by code, render and print."""
