"""Scripted trucks for the simulated plant: what each one carries and how it behaves on the deck.

A scenario is data; the plant (`hardware.sim.plant`) plays it against the simulated devices.
`load_label` is the ground truth of what is in the truck bed, as the image generator names it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

# short: stops not fully on the deck at first; stays_in_cab: never confirms at the kiosk
Behaviour = Literal["normal", "creep", "short", "stays_in_cab"]


@dataclass(frozen=True)
class TruckScenario:
    plate: str
    tare_kg: int
    load_kg: int
    load_label: str          # clean_sand | clean_gravel | muddy | foreign | empty
    behaviour: Behaviour = "normal"
    note: str = ""           # what the scenario exercises, for humans and test names
    registered: bool = True  # False: no vehicle record or card the gate knows; must be refused
    length_m: float = 12.0   # bumper to tail: how long it covers a loop
    speed_mps: float = 2.5   # on and off the deck (9 km/h, walking pace for a truck)


# The demo mix: every kind of truck the first slice must handle. The plates and their orders
# are the demo's master data (intake.demo.masterdata); the plant only knows plates.
DEMO_MIX: tuple[TruckScenario, ...] = (
    TruckScenario("沪A·S1001", 14_200, 25_600, "clean_sand", note="good sand"),
    TruckScenario("沪A·G2002", 15_100, 27_300, "clean_gravel", note="good gravel"),
    TruckScenario("沪A·S1003", 14_050, 24_900, "muddy", note="muddy sand"),
    TruckScenario("沪A·G2004", 15_400, 26_800, "foreign", note="gravel with foreign matter"),
    TruckScenario("沪A·S1005", 13_900, 26_100, "clean_gravel", note="gravel delivered on a sand order"),
    TruckScenario("沪A·S1006", 14_300, 25_200, "clean_sand", "creep", note="creeps before settling"),
    TruckScenario("沪A·G2007", 15_000, 27_900, "clean_gravel", "short", note="not fully on the deck at first"),
    TruckScenario("沪A·X9008", 14_800, 26_000, "clean_sand", note="unknown truck: refused at the entry",
                  registered=False),
    TruckScenario("沪A·S1009", 14_100, 25_500, "clean_sand", "stays_in_cab",
                  note="driver stays in the cab: the sampler may not move, REVIEW"),
)


def demo_trucks(n: int) -> list[TruckScenario]:
    """N trucks cycling through the mix; each repeat gets its own plate so visits stay distinct."""
    out: list[TruckScenario] = []
    for i in range(n):
        base = DEMO_MIX[i % len(DEMO_MIX)]
        round_no = i // len(DEMO_MIX)
        # Repeats come from other registration areas: 沪A, 沪B, ... so every plate is distinct.
        plate = base.plate.replace("沪A", f"沪{chr(ord('A') + round_no % 26)}", 1)
        if round_no >= 26:
            plate = f"{plate}{round_no // 26}"
        out.append(replace(base, plate=plate))
    return out


# The continuous demo's pool (`intake demo` without --trucks): mostly good loads, as at a real
# plant, with every kind of trouble now and then. Counts per round of the pool.
CONTINUOUS_ROUND: tuple[tuple[int, int], ...] = (   # (index into DEMO_MIX, how many)
    (0, 7), (1, 7),          # good sand, good gravel
    (5, 2), (6, 2),          # creeps first; not fully on the deck at first
    (2, 1), (3, 1), (4, 1),  # muddy sand; foreign matter; gravel on a sand order
    (8, 1),                  # driver stays in the cab
    (7, 1),                  # unknown truck, refused
)


def continuous_pool(rounds: int = 3) -> list[TruckScenario]:
    """Distinct trucks for a demo that runs for hours, in a shuffled but fixed order: every
    plate is its own vehicle, so one truck comes back only after the whole pool has been
    served (far past the repeat-weighing window), and the S/G letter keeps its order's material."""
    import random

    out: list[TruckScenario] = []
    for r in range(rounds):
        for base_index, count in CONTINUOUS_ROUND:
            base = DEMO_MIX[base_index]
            kind = base.plate.split("·")[1][0]            # S, G or X (unregistered)
            for k in range(count):
                number = 1000 + 100 * base_index + 10 * r + k
                out.append(replace(base, plate=f"沪{chr(ord('A') + r)}·{kind}{number}"))
    random.Random(19).shuffle(out)
    return out
