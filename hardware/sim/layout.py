"""Where things are along a simulated lane, and what its sensors see of a truck at a position.

Positions are metres along the direction of travel; the deck starts at 0. A truck is a rigid
body of `length_m` whose front is at `front_m`. Pure: the plant moves trucks, this says what
the loops, gratings and load cells make of it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sensed:
    entry_loop: bool
    rear_blocked: bool
    deck_occupied: bool
    front_blocked: bool
    exit_loop: bool
    on_deck: float          # share of the truck's length (and so of its mass) on the deck


@dataclass(frozen=True)
class LaneLayout:
    deck_m: float = 20.0
    entry_loop: tuple[float, float] = (-3.0, 0.0)     # under the entry arm, just before the deck
    exit_loop: tuple[float, float] = (20.5, 23.5)     # under the plant and return arms
    deck_loop: tuple[float, float] = (1.0, 19.0)
    rear_beam_m: float = 0.5                          # light gratings across the deck's two ends
    front_beam_m: float = 19.5
    wait_front_m: float = -3.5                        # a truck waiting at the entry, off the loop

    def parked_front(self, length_m: float) -> float:
        """Where a truck stops to be weighed: wholly on, clear of both beams, centred."""
        return (self.deck_m + length_m) / 2

    def gone_front(self, length_m: float) -> float:
        """Front position once the truck's tail is past the exit loop."""
        return self.exit_loop[1] + length_m + 0.5

    def sense(self, front_m: float, length_m: float) -> Sensed:
        rear = front_m - length_m

        def over(span: tuple[float, float]) -> bool:
            return front_m > span[0] and rear < span[1]

        on = max(0.0, min(front_m, self.deck_m) - max(rear, 0.0))
        return Sensed(entry_loop=over(self.entry_loop), rear_blocked=rear < self.rear_beam_m < front_m,
                      deck_occupied=over(self.deck_loop), front_blocked=rear < self.front_beam_m < front_m,
                      exit_loop=over(self.exit_loop), on_deck=on / length_m)
