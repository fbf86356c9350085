"""Planning deciders: a sales target is recorded as set; a later one replaces the earlier."""

from schemas.planning import SalesTargetSet, SetSalesTarget
from tests.unit.handlers_support import D, given


def target(
    amount: str, period: str = "2026-11", dimension: str = "team", key: str = "north"
) -> SetSalesTarget:
    return SetSalesTarget.model_validate(
        {"period": period, "dimension": dimension, "key": key, "amount": amount}
    )


def test_setting_a_target_records_it() -> None:
    given().when(target("250000.00")).then(
        SalesTargetSet(period="2026-11", dimension="team", key="north", amount=D("250000.00"))
    )


def test_a_later_target_for_the_same_key_is_accepted_and_replaces_the_earlier() -> None:
    given().when(target("1000"), target("1200")).then(
        SalesTargetSet(period="2026-11", dimension="team", key="north", amount=D(1000)),
        SalesTargetSet(period="2026-11", dimension="team", key="north", amount=D(1200)),
    )


def test_a_total_target_needs_no_master_data() -> None:
    given().when(target("9", "2026-Q4", "total", "*")).then(
        SalesTargetSet(period="2026-Q4", dimension="total", key="*", amount=D(9))
    )
