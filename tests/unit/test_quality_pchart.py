"""The p-chart's arithmetic and each Western Electric rule, on hand-made sequences (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projections.quality.pchart import Subgroup, p_chart, western_electric


def z(*values: str | int) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


def fired_at(rule: str, zs: list[Decimal]) -> list[int]:
    """The 1-based positions where ``rule`` fires."""
    return [i + 1 for i, rules in enumerate(western_electric(zs)) if rule in rules]


def test_beyond_3_sigma_fires_on_either_side_but_not_on_the_limit_itself() -> None:
    zs = z(0, 3, "3.01", "-3.5", 1, -3)
    assert fired_at("beyond_3_sigma", zs) == [3, 4]


def test_2_of_3_beyond_2_sigma_needs_two_on_one_side_and_fires_at_the_second() -> None:
    # 1 and 3 are above 2 sigma with one point between: fires at 3.
    # 6 above and 7 below are on different sides: nothing; 8 above pairs with 6: fires at 8.
    # 11 is alone in 9..11; 11 and 12 above: fires at 12, and 13 (on the centre) completes nothing.
    zs = z("2.5", 0, "2.1", 0, 0, "2.5", "-2.5", "2.2", 0, 0, "2.3", "2.4", 0)
    assert fired_at("2_of_3_beyond_2_sigma", zs) == [3, 8, 12]


def test_2_of_3_beyond_2_sigma_below_the_centre_and_points_exactly_at_2_sigma_do_not_count() -> None:
    assert fired_at("2_of_3_beyond_2_sigma", z("-2.1", "-2.9")) == [2]
    assert fired_at("2_of_3_beyond_2_sigma", z(2, "2.5", 2, 2, "2.5")) == []
    assert fired_at("2_of_3_beyond_2_sigma", z("2.5", 0, 0, "2.5")) == []


def test_4_of_5_beyond_1_sigma_fires_when_the_fourth_arrives_and_while_the_run_holds() -> None:
    # 3 (0.5) is inside: points 1, 2, 4, 5 make four of five at 5; 6 keeps 2, 4, 5, 6 of 2..6.
    zs = z("1.5", "1.2", "0.5", "1.1", "1.9", "1.3", "-0.5", 0, 0)
    assert fired_at("4_of_5_beyond_1_sigma", zs) == [5, 6]
    # point 8 would see only 4, 5, 6 of 4..8 above: no more.
    assert fired_at("4_of_5_beyond_1_sigma", [-v for v in zs]) == [5, 6]


def test_4_of_5_beyond_1_sigma_does_not_mix_sides() -> None:
    zs = z("1.5", "-1.5", "1.5", "-1.5", "1.5", "1.5", 0)
    assert fired_at("4_of_5_beyond_1_sigma", zs) == []


def test_8_on_one_side_fires_at_the_eighth_point_and_a_point_on_the_centre_breaks_the_run() -> None:
    zs = z(*(["0.1"] * 7), "0.2", "0.3", 0, "0.5")
    assert fired_at("8_on_one_side", zs) == [8, 9]
    assert fired_at("8_on_one_side", [-v for v in zs]) == [8, 9]
    assert fired_at("8_on_one_side", z(*(["0.1"] * 7), "-0.1", *(["0.1"] * 7))) == []


def test_every_rule_that_fires_at_a_point_is_named_in_order() -> None:
    # 1..3 are above 2 sigma, 4 above 3: at 4, three rules complete at once.
    zs = z("2.5", "2.5", "2.5", 4)
    assert western_electric(zs) == [
        (),
        ("2_of_3_beyond_2_sigma",),
        ("2_of_3_beyond_2_sigma",),
        ("beyond_3_sigma", "2_of_3_beyond_2_sigma", "4_of_5_beyond_1_sigma"),
    ]


def test_limits_of_a_variable_sample_size_chart_by_hand() -> None:
    # n = 100, 400, 900, 25, 25 and d = 20, 30, 89, 6, 0: p̄ = 145 / 1450 = 0.1, p̄(1 - p̄) = 0.09,
    # so sigma = 0.03, 0.015, 0.01, 0.06, 0.06 and z = 3.33, -1.67, -0.11, 2.33, -1.67.
    chart = p_chart(
        [
            Subgroup("a", 100, 20),
            Subgroup("b", 400, 30),
            Subgroup("c", 900, 89),
            Subgroup("d", 25, 6),
            Subgroup("e", 25, 0),
        ]
    )
    assert chart.center_line == Decimal("0.100000")
    assert [(p.p, p.ucl, p.lcl) for p in chart.points] == [
        (Decimal("0.200000"), Decimal("0.190000"), Decimal("0.010000")),
        (Decimal("0.075000"), Decimal("0.145000"), Decimal("0.055000")),
        (Decimal("0.098889"), Decimal("0.130000"), Decimal("0.070000")),
        (Decimal("0.240000"), Decimal("0.280000"), Decimal("0.000000")),
        (Decimal("0.000000"), Decimal("0.280000"), Decimal("0.000000")),
    ]
    assert [p.rules for p in chart.points] == [("beyond_3_sigma",), (), (), (), ()]
    assert [p.out_of_control for p in chart.points] == [True, False, False, False, False]


def test_a_point_exactly_on_the_upper_limit_is_not_beyond_it() -> None:
    # p̄ = 0.1 again; the first point's p = 0.19 is the ucl itself (z = 3).
    chart = p_chart([Subgroup("a", 100, 19), Subgroup("b", 400, 30), Subgroup("c", 900, 91)])
    assert chart.center_line == Decimal("0.100000")
    assert chart.points[0].p == chart.points[0].ucl == Decimal("0.190000")
    assert chart.points[0].rules == ()


@pytest.mark.parametrize(("defective", "centre"), [(0, "0.000000"), (10, "1.000000")])
def test_a_centre_of_0_or_1_has_no_spread_no_rules_and_limits_on_the_centre(
    defective: int, centre: str
) -> None:
    chart = p_chart([Subgroup(str(i), 10, defective) for i in range(9)])
    assert chart.center_line == Decimal(centre)
    assert all(p.ucl == p.lcl == Decimal(centre) and p.rules == () for p in chart.points)


def test_nothing_inspected_has_no_centre_line() -> None:
    chart = p_chart([])
    assert chart.center_line is None
    assert chart.points == ()
