"""The cost between a place and the two ends of its street, at the very ends of one-way streets."""

from __future__ import annotations

import numpy as np

from hotspots._routing import _ends

BLOCKED = np.inf  # a direction the street does not allow


def test_a_place_at_the_end_of_a_one_way_street_costs_only_its_access_walk() -> None:
    # a one-way street u -> v of 60 s; reversing it is not allowed (inf). Places at its u
    # end (f = 0) and its v end (f = 1), each 5 s of walk from the street.
    tf, tb = np.array([60.0, 60.0]), np.array([np.inf, np.inf])
    f, access = np.array([0.0, 1.0]), np.array([5.0, 5.0])
    # from the ends to the places (a service on the street): reaching u's place from u is
    # the walk only; v's place is reached from u along the street, or from v by the walk
    at_u, at_v = _ends(f, tf, tb, access, seed=True)
    np.testing.assert_array_equal(at_u, [5.0, 65.0])
    np.testing.assert_array_equal(at_v, [BLOCKED, 5.0])
    # from the places to the ends: u's place leaves by u (walk) or along the street to v
    at_u, at_v = _ends(f, tf, tb, access, seed=False)
    np.testing.assert_array_equal(at_u, [5.0, BLOCKED])
    np.testing.assert_array_equal(at_v, [65.0, 5.0])
