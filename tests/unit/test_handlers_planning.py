"""Planning deciders: a sales target or an objective is recorded as set, a later one replacing
the earlier; an objective is retired once, and setting it again brings it back."""

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from handlers import InvalidTransition
from handlers.errors import UnknownObjective
from schemas import parse_command
from schemas.planning import (
    Kpi,
    ObjectiveRetired,
    ObjectiveSet,
    RetireObjective,
    SalesTargetSet,
    SetObjective,
    SetSalesTarget,
)
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


# objectives --------------------------------------------------------------------------------


def objective_body(**changes: Any) -> dict[str, Any]:
    body = {
        "objective_id": "OBJ-1",
        "title": "Customers recommend us",
        "horizon": "long",
        "period": "2026..2028",
        "kpi": "nps",
        "target": "30",
        "owner": "Head of service",
    }
    return {**body, **changes}


def objective(**changes: Any) -> SetObjective:
    command = parse_command("set-objective", objective_body(**changes))
    assert isinstance(command, SetObjective)
    return command


def objective_set(**changes: Any) -> ObjectiveSet:
    return ObjectiveSet(**objective(**changes).model_dump(exclude={"occurred_at"}))


def retire(objective_id: str = "OBJ-1") -> RetireObjective:
    return RetireObjective(objective_id=objective_id, reason="the plan changed")


RETIRED = ObjectiveRetired(objective_id="OBJ-1", reason="the plan changed")


def test_setting_an_objective_records_it() -> None:
    state = (
        given()
        .when(objective())
        .then(
            ObjectiveSet(
                objective_id="OBJ-1",
                title="Customers recommend us",
                horizon="long",
                period="2026..2028",
                kpi="nps",
                target=D(30),
                owner="Head of service",
            )
        )
    )
    assert state.objectives["OBJ-1"] is False


def test_a_later_objective_for_the_same_id_replaces_the_earlier() -> None:
    later = {"kpi": "csat_avg", "target": "4.2", "period": "2027", "horizon": "medium", "owner": None}
    given().when(objective(), objective(**later)).then(objective_set(), objective_set(**later))


def test_an_objective_is_retired_once() -> None:
    state = given(objective_set()).when(retire()).then(RETIRED)
    assert state.objectives["OBJ-1"] is True
    given(objective_set(), RETIRED).when(retire()).raises(InvalidTransition, objective_id="OBJ-1")


def test_retiring_an_unknown_objective_is_refused() -> None:
    given(objective_set()).when(retire("OBJ-X")).raises(UnknownObjective, objective_id="OBJ-X")


def test_setting_a_retired_objective_again_makes_it_active_and_retirable() -> None:
    state = (
        given(objective_set(), RETIRED)
        .when(objective(target="35"), retire())
        .then(objective_set(target="35"), RETIRED)
    )
    assert state.objectives["OBJ-1"] is True


@pytest.mark.parametrize("kpi", get_args(Kpi))
def test_every_kpi_of_the_api_is_accepted(kpi: str) -> None:
    assert objective(kpi=kpi).kpi == kpi


def test_the_kpis_are_exactly_those_of_the_api() -> None:
    assert set(get_args(Kpi)) == {
        "net_sales",
        "sales_growth_pct",
        "sla_compliance_pct",
        "defect_rate",
        "supplier_otif_pct",
        "customer_otif_pct",
        "csat_avg",
        "nps",
        "repeat_rate_pct",
        "campaign_roas",
        "inventory_value",
    }


@pytest.mark.parametrize(
    "period", ["2026-11", "2026-01", "2026-Q1", "2026-Q4", "2026", "2026..2028", "2026..2026"]
)
def test_an_objectives_period_is_a_month_quarter_year_or_span_of_years(period: str) -> None:
    assert objective(period=period).period == period
    assert objective_set(period=period).stream() == "objective:OBJ-1"


@pytest.mark.parametrize(
    "period",
    [
        "2028..2026",  # a span runs forwards
        "2026-11garbage",
        "x2026-11",
        "2026..2028x",
        "x2026..2028",
        "2026..",
        "..2028",
        "2026...2028",
        "2026..2028\n",
        "26..28",
        "2026-13",
        "2026-Q5",
        "2026-Q4..2027-Q1",
        "1899",
        "",
    ],
)
def test_any_other_period_is_a_schema_violation(period: str) -> None:
    with pytest.raises(ValidationError):
        objective(period=period)


def test_a_reversed_span_is_refused_as_one() -> None:
    with pytest.raises(ValidationError, match="runs from the earlier year to the later"):
        objective(period="2028..2026")


@pytest.mark.parametrize(
    "changes",
    [
        {"kpi": "profit"},
        {"kpi": "NPS"},
        {"horizon": "forever"},
        {"target": "ten"},
        {"target": None},
        {"title": ""},
        {"objective_id": "OBJ 1"},
    ],
)
def test_an_unknown_kpi_or_horizon_and_a_target_that_is_no_number_are_schema_violations(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        objective(**changes)


def test_a_target_may_be_negative_or_fractional() -> None:
    assert objective(target="-5").target == D(-5)
    assert objective(kpi="defect_rate", target="0.015").target == D("0.015")
