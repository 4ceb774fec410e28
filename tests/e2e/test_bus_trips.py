"""A bus validator as deployed: ``faregate-agent run`` takes its trip from the vehicle's
assignment in the server's bundle by the clock, and obeys ``faregate-agent trip`` commands
given beside it; the server stores each tap with the trip the bus was running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fares.reasons import DenyReason
from tests.harness.agent_process import OPEN, AgentFactory, blocked, wait_until
from tests.harness.server_process import FaregateServer
from tests.harness.todays_feed import later_city_run, next_city_run


def test_a_bus_runs_its_assigned_trip_until_its_driver_sets_another(
    live_server: FaregateServer, make_agent: AgentFactory
) -> None:
    # The bus is assigned one CITY2 run about an hour ahead, which it boards for two hours
    # before it leaves; tickets are booked on the run before it, which opens gates now.
    booked_run = next_city_run(datetime.now(UTC) + timedelta(minutes=3), "CITY2")
    assigned = later_city_run(booked_run, 60)
    day = assigned.partition("@")[2][:10]
    live_server.call("PUT", f"/api/v1/vehicle-assignments/{day}/bus-e2e", {"trips": [assigned]})
    first, second = live_server.book(booked_run, "DADAN", "STAGECOACH", 2).tickets
    agent = make_agent(
        "bus-e2e-front", role="bus", vehicle_id="bus-e2e", stop_id="DADAN",
        bus=(("boarding_lead_s", 7200),),
    )  # fmt: skip
    agent.start()
    agent.bundle_version()

    timetable = {"vehicle_id": "bus-e2e", "instance": assigned, "source": "timetable"}
    assert agent.status()["trip"] == timetable
    assert agent.tap(first.qr_text) == blocked(DenyReason.WRONG_TRIP)
    assert agent.refusal("trip", "set", "CITY2@2000-01-01") == "unknown_trip_instance"
    chosen = agent.tool("trip", "set", booked_run)["trip"]
    assert chosen == {"vehicle_id": "bus-e2e", "instance": booked_run, "source": "driver"}
    assert agent.tap(second.qr_text) == OPEN
    assert agent.tool("trip", "end")["trip"] == timetable
    assert agent.status()["trip"] == timetable
    agent.drained()

    stored = wait_until(lambda: live_server.taps("bus-e2e-front"), what="the uploaded taps")
    assert [(tap.ticket_id, tap.reason, tap.trip_instance) for tap in stored] == [
        (first.ticket_id, "wrong_trip", assigned),
        (second.ticket_id, None, booked_run),
    ]
    assert agent.stop() == 0
